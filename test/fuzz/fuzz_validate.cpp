// UTF-8 and name validation (actors/validate) fed any bytes, judged by a
// UTF-8 decoder of our own (fuzz_check.hpp) and by ICU's Unicode tables.
// Checked: utf8_length agrees with the reference exactly; an accepted name
// is 1 to 32 code points of valid UTF-8 without whitespace, controls, '/'
// or format characters (category Cf), except U+200D between two emoji
// (never touching a letter, digit or mark that is not itself a pictograph:
// that would make a look-alike of a plain name) - PROTOCOL.md, "Login".
#include <string_view>

#include <unicode/uchar.h>

#include "actors/validate.hpp"
#include "fuzz_check.hpp"

namespace {

constexpr char32_t zwj = 0x200D;
constexpr char32_t emoji_presentation = 0xFE0F; // a mark, but emoji's own

bool is_cf(char32_t cp) {
  return u_charType(static_cast<UChar32>(cp)) == U_FORMAT_CHAR;
}

/// What may touch a joiner: a pictograph or another symbol, not a letter,
/// digit or mark that would let `a<ZWJ>b` pass for `ab`. A pictograph is
/// one whatever its category: U+2139 (information source, the emoji "i")
/// is a lowercase letter to Unicode (found by this fuzzer in CI).
bool may_touch_joiner(char32_t cp) {
  auto c = static_cast<UChar32>(cp);
  if (cp < 0x80 || is_cf(cp) || u_hasBinaryProperty(c, UCHAR_WHITE_SPACE))
    return false;
  if (u_hasBinaryProperty(c, UCHAR_EXTENDED_PICTOGRAPHIC))
    return true;
  auto mask = U_GET_GC_MASK(c);
  return (mask & (U_GC_L_MASK | U_GC_M_MASK | U_GC_ND_MASK)) == 0;
}

void check_name(std::string_view name) {
  auto cps = fuzz::reference_decode(name);
  FUZZ_CHECK(cps.has_value());
  FUZZ_CHECK(!cps->empty() && cps->size() <= chat::max_name_code_points);
  for (std::size_t i = 0; i < cps->size(); ++i) {
    char32_t cp = (*cps)[i];
    auto c = static_cast<UChar32>(cp);
    FUZZ_CHECK(cp != '/');
    FUZZ_CHECK(!u_hasBinaryProperty(c, UCHAR_WHITE_SPACE));
    FUZZ_CHECK(u_charType(c) != U_CONTROL_CHAR);
    if (cp != zwj) {
      FUZZ_CHECK(!is_cf(cp));
      continue;
    }
    FUZZ_CHECK(i > 0 && i + 1 < cps->size());
    char32_t before = (*cps)[i - 1], after = (*cps)[i + 1];
    FUZZ_CHECK(before == emoji_presentation || may_touch_joiner(before));
    FUZZ_CHECK(may_touch_joiner(after));
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto length = chat::utf8_length(text);
  auto reference = fuzz::reference_decode(text);
  FUZZ_CHECK(length.has_value() == reference.has_value());
  if (length)
    FUZZ_CHECK(*length == reference->size());
  if (chat::is_valid_name(text))
    check_name(text);
  return 0;
}
