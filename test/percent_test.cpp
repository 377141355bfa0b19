// Percent-decoding of request paths (net/percent.hpp).
#include <catch2/catch.hpp>

#include <optional>
#include <string>

#include "net/percent.hpp"

using chat::net::percent_decode;

TEST_CASE("percent_decode decodes escapes and refuses malformed ones",
          "[percent]") {
  CHECK(percent_decode("zo%C3%AB") == std::optional<std::string>{"zoë"});
  CHECK(percent_decode("a+b") == std::optional<std::string>{"a+b"});
  CHECK(percent_decode("%2e%2E") == std::optional<std::string>{".."});
  CHECK_FALSE(percent_decode("%"));
  CHECK_FALSE(percent_decode("%4"));
  CHECK_FALSE(percent_decode("%zz"));
}
