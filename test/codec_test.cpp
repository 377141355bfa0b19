#include <catch2/catch.hpp>

#include "actors/codec.hpp"

using namespace chat;
using namespace chat::codec;
using nlohmann::json;

namespace {

template <class T> T as(const decoded& d) {
  REQUIRE(std::holds_alternative<request>(d));
  REQUIRE(std::holds_alternative<T>(std::get<request>(d)));
  return std::get<T>(std::get<request>(d));
}

error_code error_of(const decoded& d) {
  REQUIRE(std::holds_alternative<decode_error>(d));
  return std::get<decode_error>(d).code;
}

} // namespace

TEST_CASE("the seed format decodes to say or whisper by to_user", "[codec]") {
  CHECK(as<say_request>(decode(R"({"to_user":"","msg":"hi"})", 4096)).msg ==
        "hi");
  CHECK_FALSE(as<say_request>(decode(R"({"msg":"hi"})", 4096)).room);
  as<say_request>(decode(R"({"to_user":null,"msg":"hi"})", 4096));
  auto w = as<whisper_request>(decode(R"({"to_user":"bob","msg":"x"})", 4096));
  CHECK(w.to == "bob");
  CHECK(w.msg == "x");
}

TEST_CASE("typed frames decode with their fields", "[codec]") {
  auto s = as<say_request>(decode(R"({"type":"say","msg":"m","room":"r"})", 9));
  CHECK(s.room == std::optional<std::string>{"r"});
  CHECK(as<join_request>(decode(R"({"type":"join","room":"dev"})", 9)).room ==
        "dev");
  CHECK_FALSE(as<users_request>(decode(R"({"type":"users"})", 9)).room);
  CHECK(as<ping_request>(decode(R"({"type":"ping","id":[1]})", 9)).id ==
        json::array({1}));
  CHECK(as<ping_request>(decode(R"({"type":"ping"})", 9)).id.is_null());
}

TEST_CASE("anything but a JSON object is bad_json", "[codec]") {
  for (auto text : {"", "nope", "[]", "1", "null", "\"s\"", "{\"a\":", "{}}"})
    CHECK(error_of(decode(text, 10)) == error_code::bad_json);
}

TEST_CASE("wrong field types and unknown types are bad_request", "[codec]") {
  for (auto text :
       {R"({})", R"({"msg":1})", R"({"to_user":[],"msg":"x"})",
        R"({"type":"x"})", R"({"type":{}})", R"({"type":"whisper","to":"a"})",
        R"({"type":"join","room":"a/b"})", R"({"type":"users","room":1})"})
    CHECK(error_of(decode(text, 10)) == error_code::bad_request);
}

TEST_CASE("msg length is counted in code points", "[codec]") {
  CHECK(as<say_request>(decode(R"({"msg":"ééé"})", 3)).msg == "ééé");
  CHECK(error_of(decode(R"({"msg":"éééé"})", 3)) == error_code::too_long);
  CHECK(error_of(decode(R"({"type":"whisper","to":"a","msg":"1234"})", 3)) ==
        error_code::too_long);
}

namespace {

/// A well-formed say frame whose "x" field holds `depth` levels in all
/// (the frame's own object is the first).
std::string nested_frame(std::size_t depth) {
  std::string inner = "1";
  for (std::size_t i = 1; i < depth; ++i)
    inner = (i % 2 ? "[" : "{\"k\":") + inner + (i % 2 ? "]" : "}");
  return R"({"msg":"hi","x":)" + inner + "}";
}

} // namespace

TEST_CASE("JSON nested past max_nesting is refused, at it is accepted",
          "[codec]") {
  auto at_limit = nested_frame(max_nesting);
  REQUIRE(json::parse(at_limit, nullptr, false).is_object());
  CHECK(as<say_request>(decode(at_limit, 10)).msg == "hi");
  auto past = nested_frame(max_nesting + 1);
  REQUIRE(json::parse(past, nullptr, false).is_object()); // well-formed
  auto d = decode(past, 10);
  CHECK(error_of(d) == error_code::bad_json);
  CHECK_THAT(std::get<decode_error>(d).detail, Catch::Contains("nested"));
}

TEST_CASE("deeply nested input is refused without throwing", "[codec]") {
  // Well-formed and 20,000 levels deep: parsing it would be fine, copying
  // it would overflow the stack.
  std::string deep = std::string(10000, '[') + std::string(10000, ']');
  CHECK(error_of(decode(R"({"msg":"x","d":)" + deep + "}", 10)) ==
        error_code::bad_json);
}

TEST_CASE("server frames carry the seed's field names", "[codec]") {
  auto m =
      json::parse(encode(chat_message{7, 1000, "alice", "", "lobby", "hi"}));
  CHECK(m == json{{"type", "message"},
                  {"id", 7},
                  {"ts", 1000},
                  {"from_user", "alice"},
                  {"to_user", ""},
                  {"room", "lobby"},
                  {"msg", "hi"}});
  CHECK(json::parse(encode_welcome("a", "lobby", {"a", "b"})) ==
        json{{"type", "welcome"},
             {"user", "a"},
             {"room", "lobby"},
             {"users", {"a", "b"}}});
  CHECK(json::parse(encode_error(error_code::too_long, "d")) ==
        json{{"type", "error"}, {"code", "too_long"}, {"detail", "d"}});
  CHECK(json::parse(encode_pong(json{})) ==
        json{{"type", "pong"}, {"id", nullptr}});
}
