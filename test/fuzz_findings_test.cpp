// What the fuzzers (test/fuzz/, docs/FUZZING.md) found, as directed tests:
// each failed before its fix.
#include <catch2/catch.hpp>

#include <string>
#include <variant>

#include "actors/codec.hpp"
#include "net/ws_reader.hpp"

using namespace chat;
using chat::net::ws_event;
using chat::net::ws_reader;

namespace {

/// A masked client frame (all-zero key, so the payload reads as is).
std::string masked_frame(uint8_t first_byte, const std::string& payload) {
  std::string f(1, static_cast<char>(first_byte));
  if (payload.size() < 126) {
    f.push_back(static_cast<char>(0x80 | payload.size()));
  } else {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(payload.size() >> 8));
    f.push_back(static_cast<char>(payload.size() & 0xff));
  }
  return f + std::string(4, '\0') + payload;
}

} // namespace

TEST_CASE("a NUL byte in a frame is bad_json, not the end of the frame "
          "(what followed it reached no check)",
          "[codec][fuzz]") {
  std::string frame("{\"type\":\"say\",\"msg\":\"hi\"}\0{\"type\":\"whisper\"",
                    44);
  auto r = codec::decode(frame, 4096);
  auto* err = std::get_if<codec::decode_error>(&r);
  REQUIRE(err != nullptr);
  CHECK(err->code == error_code::bad_json);
}

TEST_CASE("a stream that fails in the middle of a message gives back the "
          "message's buffer",
          "[net][ws_reader][fuzz]") {
  ws_reader reader(1000);
  auto bytes = masked_frame(0x01, std::string(500, 'a')) + // fin unset
               masked_frame(0x80 | 0x40 | 0x0, "x");       // a reserved bit
  std::string_view in = bytes;
  auto ev = reader.next(in);
  REQUIRE(ev);
  CHECK(ev->kind == ws_event::fail);
  CHECK(ev->code == 1002);
  CHECK(reader.buffered_bytes() <= 30);
}
