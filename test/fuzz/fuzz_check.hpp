// What every fuzz target shares: a check that stops the fuzzer with the
// broken invariant's text, and reference UTF-8 decoding written apart from
// actors/validate.cpp (from the Unicode standard's table 3-7 of well-formed
// byte sequences), so that a bug in the project's decoder is not also in its
// judge.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string_view>
#include <vector>

/// Stops the run (libFuzzer saves the input) when `cond` is false.
#define FUZZ_CHECK(cond)                                                       \
  do {                                                                         \
    if (!(cond)) {                                                             \
      std::fprintf(stderr, "invariant broken: %s (%s:%d)\n", #cond, __FILE__,  \
                   __LINE__);                                                  \
      __builtin_trap();                                                        \
    }                                                                          \
  } while (0)

namespace fuzz {

/// The code points of `s`, or nothing if it is not well-formed UTF-8.
inline std::optional<std::vector<char32_t>>
reference_decode(std::string_view s) {
  std::vector<char32_t> out;
  std::size_t i = 0;
  auto at = [&](std::size_t k) -> unsigned {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0x100;
  };
  auto within = [&](std::size_t k, unsigned lo, unsigned hi) {
    return at(k) >= lo && at(k) <= hi;
  };
  while (i < s.size()) {
    unsigned b = at(0);
    // Table 3-7: the lead byte fixes the range of the second byte; the
    // others are always 80..BF.
    unsigned lo = 0x80, hi = 0xBF;
    std::size_t len;
    if (b <= 0x7F) {
      len = 1;
    } else if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3;
      if (b == 0xE0)
        lo = 0xA0; // no overlong forms
      if (b == 0xED)
        hi = 0x9F; // no surrogates
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4;
      if (b == 0xF0)
        lo = 0x90;
      if (b == 0xF4)
        hi = 0x8F; // nothing past U+10FFFF
    } else {
      return std::nullopt;
    }
    if (len > 1 && !within(1, lo, hi))
      return std::nullopt;
    for (std::size_t k = 2; k < len; ++k)
      if (!within(k, 0x80, 0xBF))
        return std::nullopt;
    static constexpr unsigned lead_mask[] = {0, 0x7F, 0x1F, 0x0F, 0x07};
    char32_t cp = b & lead_mask[len];
    for (std::size_t k = 1; k < len; ++k)
      cp = (cp << 6) | (at(k) & 0x3F);
    out.push_back(cp);
    i += len;
  }
  return out;
}

inline bool reference_valid_utf8(std::string_view s) {
  return reference_decode(s).has_value();
}

} // namespace fuzz
