#include "actors/validate.hpp"

#include <cstdint>

namespace chat {

namespace {

/// Decodes the code point at `text[i]`, advancing `i`; nothing if invalid.
std::optional<char32_t> next_code_point(std::string_view text, std::size_t& i) {
  auto byte = [&](std::size_t k) { return static_cast<uint8_t>(text[k]); };
  uint8_t lead = byte(i);
  std::size_t extra;
  char32_t cp;
  if (lead < 0x80) {
    ++i;
    return lead;
  } else if ((lead & 0xE0) == 0xC0) {
    extra = 1;
    cp = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    extra = 2;
    cp = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    extra = 3;
    cp = lead & 0x07;
  } else {
    return std::nullopt;
  }
  if (i + extra >= text.size())
    return std::nullopt;
  for (std::size_t k = 1; k <= extra; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80)
      return std::nullopt;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr char32_t min_for_length[] = {0, 0x80, 0x800, 0x10000};
  if (cp < min_for_length[extra] || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    return std::nullopt;
  i += extra + 1;
  return cp;
}

bool is_whitespace(char32_t cp) {
  switch (cp) {
  case 0x20:
  case 0x85:
  case 0xA0:
  case 0x1680:
  case 0x2028:
  case 0x2029:
  case 0x202F:
  case 0x205F:
  case 0x3000:
  case 0xFEFF:
    return true;
  default:
    return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x2000 && cp <= 0x200B);
  }
}

bool is_control(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

struct range {
  char32_t first, last;
};

bool in(const range* ranges, std::size_t n, char32_t cp) {
  for (std::size_t i = 0; i < n; ++i)
    if (cp >= ranges[i].first && cp <= ranges[i].last)
      return true;
  return false;
}

/// Unicode 15 general category Cf (format): invisible characters that
/// change how their neighbours look or read, so `alice` followed by U+202E
/// or U+00AD would pass for `alice`. U+200D is among them.
bool is_format(char32_t cp) {
  static constexpr range cf[] = {
      {0x00AD, 0x00AD},   {0x0600, 0x0605},   {0x061C, 0x061C},
      {0x06DD, 0x06DD},   {0x070F, 0x070F},   {0x0890, 0x0891},
      {0x08E2, 0x08E2},   {0x180E, 0x180E},   {0x200B, 0x200F},
      {0x202A, 0x202E},   {0x2060, 0x2064},   {0x2066, 0x206F},
      {0xFEFF, 0xFEFF},   {0xFFF9, 0xFFFB},   {0x110BD, 0x110BD},
      {0x110CD, 0x110CD}, {0x13430, 0x1343F}, {0x1BCA0, 0x1BCA3},
      {0x1D173, 0x1D17A}, {0xE0001, 0xE0001}, {0xE0020, 0xE007F}};
  return in(cf, sizeof cf / sizeof cf[0], cp);
}

/// Pictographs that emoji ZWJ sequences join (Unicode's
/// Extended_Pictographic, by whole blocks where it covers most of one).
bool is_pictographic(char32_t cp) {
  static constexpr range pictographs[] = {
      {0x00A9, 0x00A9}, {0x00AE, 0x00AE},   {0x203C, 0x203C},  {0x2049, 0x2049},
      {0x2122, 0x2122}, {0x2139, 0x2139},   {0x2190, 0x21FF},  {0x2300, 0x23FF},
      {0x24C2, 0x24C2}, {0x25AA, 0x25FE},   {0x2600, 0x27BF},  {0x2934, 0x2935},
      {0x2B00, 0x2BFF}, {0x3030, 0x3030},   {0x303D, 0x303D},  {0x3297, 0x3297},
      {0x3299, 0x3299}, {0x1F000, 0x1FAFF}, {0x1FC00, 0x1FFFD}};
  return in(pictographs, sizeof pictographs / sizeof pictographs[0], cp);
}

/// What may stand right before a joiner in an emoji sequence: a
/// pictograph, a skin tone, or the emoji presentation selector U+FE0F.
bool may_precede_joiner(char32_t cp) {
  return is_pictographic(cp) || (cp >= 0x1F3FB && cp <= 0x1F3FF) ||
         cp == 0xFE0F;
}

} // namespace

std::optional<std::size_t> utf8_length(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size(); ++count)
    if (!next_code_point(text, i))
      return std::nullopt;
  return count;
}

bool is_valid_name(std::string_view name) {
  std::size_t count = 0;
  char32_t previous = 0;
  bool joiner_pending = false; // a U+200D that must be followed by a pictograph
  for (std::size_t i = 0; i < name.size(); ++count) {
    auto cp = next_code_point(name, i);
    if (!cp || is_whitespace(*cp) || is_control(*cp) || *cp == '/')
      return false;
    if (joiner_pending && !is_pictographic(*cp))
      return false;
    joiner_pending = false;
    if (*cp == 0x200D) {
      // The joiner of emoji sequences (👩‍💻) stays; anywhere else it is
      // as invisible as the other format characters.
      if (!may_precede_joiner(previous))
        return false;
      joiner_pending = true;
    } else if (is_format(*cp)) {
      return false;
    }
    previous = *cp;
  }
  return !joiner_pending && count >= 1 && count <= max_name_code_points;
}

} // namespace chat
