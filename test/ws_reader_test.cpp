// The reading half of RFC 6455 (net/ws_reader.hpp), fed hand-made bytes.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "net/ws_reader.hpp"

namespace {

using chat::net::ws_event;
using chat::net::ws_reader;

struct frame_spec {
  uint8_t opcode = 0x1;
  bool fin = true;
  bool masked = true;
  uint8_t rsv = 0;            // the three reserved bits, in place (0x70)
  int length_form = 0;        // 0: shortest; 16 or 64: forced
  uint32_t mask = 0x37fa213d; // RFC 6455's example key

  frame_spec& op(uint8_t o) { return opcode = o, *this; }
  frame_spec& partial() { return fin = false, *this; }
  frame_spec& unmasked() { return masked = false, *this; }
  frame_spec& reserved(uint8_t bits) { return rsv = bits, *this; }
  frame_spec& length(int form) { return length_form = form, *this; }
};

frame_spec spec() {
  return {};
}

/// A client-to-server frame as a client would write it.
std::string make_frame(std::string_view payload, frame_spec s = {}) {
  std::string f;
  f.push_back(static_cast<char>((s.fin ? 0x80 : 0) | s.rsv | s.opcode));
  uint8_t m = s.masked ? 0x80 : 0;
  auto n = payload.size();
  int form = s.length_form ? s.length_form
             : n < 126     ? 7
             : n <= 0xffff ? 16
                           : 64;
  if (form == 7) {
    f.push_back(static_cast<char>(m | n));
  } else {
    int bytes = form == 16 ? 2 : 8;
    f.push_back(static_cast<char>(m | (form == 16 ? 126 : 127)));
    for (int i = bytes - 1; i >= 0; --i)
      f.push_back(
          static_cast<char>((static_cast<uint64_t>(n) >> (8 * i)) & 0xff));
  }
  uint8_t key[4] = {
      static_cast<uint8_t>(s.mask >> 24), static_cast<uint8_t>(s.mask >> 16),
      static_cast<uint8_t>(s.mask >> 8), static_cast<uint8_t>(s.mask)};
  if (s.masked)
    f.append(reinterpret_cast<const char*>(key), 4);
  for (std::size_t i = 0; i < n; ++i)
    f.push_back(static_cast<char>(payload[i] ^ (s.masked ? key[i % 4] : 0)));
  return f;
}

/// All events in `bytes`, fed `chunk` bytes at a time.
std::vector<ws_event> read_all(const std::string& bytes, std::size_t chunk,
                               std::size_t max = 65536) {
  ws_reader reader(max);
  std::vector<ws_event> out;
  for (std::size_t at = 0; at < bytes.size(); at += chunk) {
    std::string_view in(bytes.data() + at, std::min(chunk, bytes.size() - at));
    while (auto ev = reader.next(in))
      out.push_back(std::move(*ev));
  }
  return out;
}

/// The single failure `bytes` earn (0 if they earn none).
uint16_t failure(const std::string& bytes, std::size_t max = 65536) {
  for (auto& ev : read_all(bytes, bytes.size(), max))
    if (ev.kind == ws_event::fail)
      return ev.code;
  return 0;
}

std::string close_frame(uint16_t code, std::string_view reason) {
  std::string p{static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
  p += reason;
  return make_frame(p, spec().op(0x8));
}

} // namespace

TEST_CASE("ws_reader: messages of every length form, fed whole and one byte "
          "at a time, come out whole and in order",
          "[net][ws_reader]") {
  std::vector<std::string> payloads;
  for (std::size_t size : {0, 1, 125, 126, 127, 65535, 65536})
    payloads.push_back(
        std::string(size, 'a' + static_cast<char>(payloads.size())));
  payloads.push_back("{\"msg\":\"z\xC3\xAB 小明\"}");
  std::string bytes;
  for (auto& p : payloads)
    bytes += make_frame(p);
  for (std::size_t chunk : {bytes.size(), std::size_t{1}, std::size_t{7}}) {
    INFO("chunk " << chunk);
    auto events = read_all(bytes, chunk);
    REQUIRE(events.size() == payloads.size());
    for (std::size_t i = 0; i < payloads.size(); ++i) {
      CHECK(events[i].kind == ws_event::text);
      CHECK(events[i].payload == payloads[i]);
    }
  }
}

TEST_CASE("ws_reader: fragments join into one message, with control frames "
          "between them, and binary stays binary",
          "[net][ws_reader]") {
  std::string bytes = make_frame("{\"msg\":", spec().op(0x1).partial()) +
                      make_frame("ping me", spec().op(0x9)) +
                      make_frame("\"z\xC3", spec().op(0x0).partial()) +
                      make_frame("", spec().op(0xA)) +
                      make_frame("\xAB\"}", spec().op(0x0)) +
                      make_frame("\x01\x02", spec().op(0x2));
  for (std::size_t chunk : {bytes.size(), std::size_t{1}}) {
    auto events = read_all(bytes, chunk);
    REQUIRE(events.size() == 4);
    CHECK(events[0].kind == ws_event::ping);
    CHECK(events[0].payload == "ping me");
    CHECK(events[1].kind == ws_event::pong);
    // A code point split between fragments is valid once joined.
    CHECK(events[2].kind == ws_event::text);
    CHECK(events[2].payload == "{\"msg\":\"z\xC3\xAB\"}");
    CHECK(events[3].kind == ws_event::binary);
    CHECK(events[3].payload == "\x01\x02");
  }
}

TEST_CASE("ws_reader: a close frame gives its code and reason and ends the "
          "stream",
          "[net][ws_reader]") {
  auto events = read_all(close_frame(1000, "bye") + make_frame("after"), 1);
  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == ws_event::close);
  CHECK(events[0].code == 1000);
  CHECK(events[0].payload == "bye");

  auto empty = read_all(make_frame("", spec().op(0x8)), 100);
  REQUIRE(empty.size() == 1);
  CHECK(empty[0].kind == ws_event::close);
  CHECK(empty[0].code == 0);
  CHECK(read_all(close_frame(4000, ""), 100)[0].code == 4000);
}

TEST_CASE("ws_reader: what RFC 6455 forbids fails with 1002",
          "[net][ws_reader]") {
  CHECK(failure(make_frame("x", spec().unmasked())) == 1002);
  CHECK(failure(make_frame("x", spec().reserved(0x40))) == 1002);
  CHECK(failure(make_frame("x", spec().op(0x3))) == 1002);
  CHECK(failure(make_frame("x", spec().op(0xB))) == 1002);
  CHECK(failure(make_frame("x", spec().op(0x0))) ==
        1002); // nothing to continue
  CHECK(failure(make_frame("a", spec().partial()) + make_frame("b")) == 1002);
  CHECK(failure(make_frame("x", spec().op(0x9).partial())) == 1002);
  CHECK(failure(make_frame(std::string(126, 'p'), spec().op(0x9))) == 1002);
  CHECK(failure(make_frame("short", spec().length(16))) == 1002);
  CHECK(failure(make_frame(std::string(300, 's'), spec().length(64))) == 1002);
  CHECK(failure(make_frame("x", spec().op(0x8))) == 1002); // 1-byte close
  for (uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000})
    CHECK(failure(close_frame(code, "")) == 1002);
  for (uint16_t code : {1000, 1001, 1003, 1007, 1011, 1014, 3000, 4999})
    CHECK(failure(close_frame(code, "")) == 0);
}

TEST_CASE("ws_reader: invalid UTF-8 fails with 1007, in a message or a close "
          "reason, and binary is not checked",
          "[net][ws_reader]") {
  CHECK(failure(make_frame("{\"msg\":\"\xC3\x28\"}")) == 1007);
  CHECK(failure(make_frame("\xED\xA0\x80")) == 1007); // a surrogate
  CHECK(failure(make_frame("ok \xC3", spec().partial()) +
                make_frame("", spec().op(0x0))) == 1007);
  CHECK(failure(close_frame(1000, "\xFF")) == 1007);
  CHECK(failure(make_frame("\xFF", spec().op(0x2))) == 0);
}

TEST_CASE("ws_reader: a message of exactly the maximum is read, one byte "
          "more fails with 1009 as soon as the header says so",
          "[net][ws_reader]") {
  CHECK(failure(make_frame(std::string(1000, 'm')), 1000) == 0);
  CHECK(failure(make_frame(std::string(1001, 'm')), 1000) == 1009);
  // Across fragments: the sum counts.
  CHECK(failure(make_frame(std::string(600, 'm'), spec().partial()) +
                    make_frame(std::string(401, 'm'), spec().op(0x0)),
                1000) == 1009);
  // Only the header arrived: the failure does not wait for the payload.
  auto header = make_frame(std::string(70000, 'm')).substr(0, 14);
  CHECK(failure(header, 65536) == 1009);
}

TEST_CASE("ws_reader: a header announcing a large payload costs nothing "
          "until the payload arrives",
          "[net][ws_reader]") {
  ws_reader reader(65536);
  auto frame = make_frame(std::string(60000, 'm'));
  // The header (4 bytes, then the mask) and one payload byte: a client
  // trickling its frame must not pin 60 KB.
  std::string_view in(frame.data(), 9);
  CHECK_FALSE(reader.next(in));
  CHECK(reader.buffered_bytes() < 1024);
  in = std::string_view(frame).substr(9);
  auto ev = reader.next(in);
  REQUIRE(ev);
  CHECK(ev->payload.size() == 60000);
}

TEST_CASE("ws_reader: holds nothing between messages", "[net][ws_reader]") {
  ws_reader reader(65536);
  CHECK(reader.between_messages());
  auto bytes = make_frame("hello", spec().partial());
  std::string_view in(bytes.data(), 3);
  CHECK_FALSE(reader.next(in));
  CHECK_FALSE(reader.between_messages());
  in = std::string_view(bytes).substr(3);
  CHECK_FALSE(reader.next(in)); // a fragment, not yet a message
  auto last = make_frame("!", spec().op(0x0));
  in = last;
  auto ev = reader.next(in);
  REQUIRE(ev);
  CHECK(ev->payload == "hello!");
  CHECK(reader.between_messages());
}
