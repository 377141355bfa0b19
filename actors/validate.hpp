// Validation of untrusted text: UTF-8, code point counts, user and room names.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace chat {

/// Number of Unicode code points in `text`, or nothing if it is not valid
/// UTF-8 (overlong forms, surrogates and values past U+10FFFF are invalid).
std::optional<std::size_t> utf8_length(std::string_view text);

/// Longest user or room name, in code points.
constexpr std::size_t max_name_code_points = 32;

/// A user or room name: 1 to 32 code points of valid UTF-8, no whitespace,
/// no control characters, no '/', no format characters (category Cf: soft
/// hyphen, bidi controls, invisible joiners...) except U+200D between
/// emoji. `小明`, `zoë` and `👩‍💻` are valid; `alice` + U+202E is
/// not.
bool is_valid_name(std::string_view name);

} // namespace chat
