#include <catch2/catch.hpp>

#include "actors/validate.hpp"

using namespace chat;

TEST_CASE("utf8_length counts code points and refuses invalid UTF-8",
          "[validate]") {
  CHECK(utf8_length("") == 0u);
  CHECK(utf8_length("abc") == 3u);
  CHECK(utf8_length("zoë") == 3u);
  CHECK(utf8_length("小明") == 2u);
  CHECK(utf8_length("🦊") == 1u);
  CHECK_FALSE(utf8_length("\xC3"));             // truncated
  CHECK_FALSE(utf8_length("\xC0\xAF"));         // overlong '/'
  CHECK_FALSE(utf8_length("\xED\xA0\x80"));     // surrogate
  CHECK_FALSE(utf8_length("\xF4\x90\x80\x80")); // past U+10FFFF
  CHECK_FALSE(utf8_length("\xFF"));
}

TEST_CASE("names are 1 to 32 code points without whitespace, controls or /",
          "[validate]") {
  for (auto ok : {"a", "小明", "zoë", "🦊", "José-María_1",
                  "éééééééééééééééééééééééééééééééé"})
    CHECK(is_valid_name(ok));
  for (auto bad : {"", "a b", "a\tb", "a\nb", "a/b", "a\x01", "a\x7f",
                   "a\xC2\x85", "a\xC2\xA0", "a\xE3\x80\x80", "\xFF",
                   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
    CHECK_FALSE(is_valid_name(bad));
}

TEST_CASE("U+200D stands only between emoji: a pictograph counts whatever "
          "its Unicode category",
          "[validate]") {
  CHECK(is_valid_name("\U0001F469\u200D\U0001F4BB")); // 👩‍💻
  CHECK(is_valid_name(
      "\U0001F44D\U0001F3FD\u200D\u2764"));             // a skin tone before it
  CHECK(is_valid_name("\u2764\uFE0F\u200D\U0001F525")); // U+FE0F before it
  // ℹ (U+2139) is the emoji "information source" and Unicode's category
  // for it is a lowercase letter: it is still a pictograph (a fuzzer finding).
  CHECK(is_valid_name("\U0001F469\u200D\u2139"));
  for (auto bad :
       {"\u200D", "\u200D\U0001F4BB", "\U0001F469\u200D", "al\u200Dice",
        "\U0001F469\u200Da", "a\u200D\U0001F4BB", "\U0001F469\u200D1",
        "\U0001F469\u200D\u00E9", "\U0001F469\u200D\u200D\U0001F4BB"})
    CHECK_FALSE(is_valid_name(bad));
}
