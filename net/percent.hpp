// Percent-decoding of URL paths (RFC 3986).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace chat::net {

/// Decodes %XX escapes; nothing if an escape is malformed. '+' stays '+'
/// (it means space only in query strings).
std::optional<std::string> percent_decode(std::string_view text);

} // namespace chat::net
