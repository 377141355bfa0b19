// The WebSocket frame reader (net/ws_reader) fed what a hostile client may
// send. Input: byte 0 sets the message limit (0 to 510 bytes, so 16-bit
// lengths and 1009 are reachable), bytes 1-3 are the lengths of the chunks
// the stream is cut into (repeated), the rest is the stream. The stream is
// read whole, in those chunks and byte by byte: the three must give the same
// events, since TCP may cut a stream anywhere.
#include <string>
#include <string_view>
#include <vector>

#include "actors/validate.hpp"
#include "fuzz_check.hpp"
#include "net/ws_reader.hpp"

namespace {

using chat::net::ws_event;
using chat::net::ws_reader;

constexpr std::size_t max_control = 125;

bool same(const ws_event& a, const ws_event& b) {
  return a.kind == b.kind && a.payload == b.payload && a.code == b.code;
}

/// RFC 6455 section 7.4, written out apart from is_valid_close_code.
bool close_code_a_peer_may_send(uint16_t c) {
  return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) ||
         (c >= 3000 && c <= 4999);
}

void check_event(const ws_event& ev, std::size_t max) {
  switch (ev.kind) {
  case ws_event::text:
    FUZZ_CHECK(chat::utf8_length(ev.payload).has_value());
    FUZZ_CHECK(fuzz::reference_valid_utf8(ev.payload));
    FUZZ_CHECK(ev.payload.size() <= max);
    break;
  case ws_event::binary:
    FUZZ_CHECK(ev.payload.size() <= max);
    break;
  case ws_event::ping:
  case ws_event::pong:
    FUZZ_CHECK(ev.payload.size() <= max_control);
    break;
  case ws_event::close:
    if (ev.code == 0) {
      FUZZ_CHECK(ev.payload.empty());
    } else {
      FUZZ_CHECK(close_code_a_peer_may_send(ev.code));
      FUZZ_CHECK(ev.payload.size() <= max_control - 2);
      FUZZ_CHECK(fuzz::reference_valid_utf8(ev.payload));
    }
    break;
  case ws_event::fail:
    FUZZ_CHECK(ev.code == 1002 || ev.code == 1007 || ev.code == 1009);
    FUZZ_CHECK(ev.payload.empty());
    break;
  default:
    FUZZ_CHECK(false && "unknown event kind");
  }
}

/// Reads `stream` cut into pieces of `chunks` (cycled; 0 is an empty read)
/// and checks every step; returns the events.
std::vector<ws_event> read_all(std::string_view stream, std::size_t max,
                               const std::vector<std::size_t>& chunks) {
  ws_reader reader(max);
  std::vector<ws_event> events;
  bool over = false;
  // A message grows by appends (capacity at most doubles past what it
  // needs), a control payload to 125 bytes; then the small-string buffers.
  const std::size_t buffer_bound = 2 * max + 2 * max_control + 64;
  std::size_t at = 0;
  for (std::size_t k = 0; at < stream.size(); ++k) {
    auto piece = stream.substr(at, chunks[k % chunks.size()]);
    at += piece.size();
    for (;;) {
      auto before = piece.size();
      auto ev = reader.next(piece);
      FUZZ_CHECK(reader.buffered_bytes() <= buffer_bound);
      if (over) {
        // The stream is over: no event, and nothing more is consumed.
        FUZZ_CHECK(!ev);
        FUZZ_CHECK(piece.size() == before);
        break;
      }
      if (!ev) {
        FUZZ_CHECK(piece.empty()); // nothing is left unread for no reason
        break;
      }
      check_event(*ev, max);
      if (ev->kind == ws_event::text || ev->kind == ws_event::binary) {
        FUZZ_CHECK(reader.between_messages());
      }
      // A broken stream frees its buffers (found by this target,
      // test/fuzz/crashes/README.md).
      if (ev->kind == ws_event::fail)
        FUZZ_CHECK(reader.buffered_bytes() <= 2 * 15);
      over = ev->kind == ws_event::close || ev->kind == ws_event::fail;
      events.push_back(std::move(*ev));
    }
  }
  return events;
}

void check_same(const std::vector<ws_event>& a,
                const std::vector<ws_event>& b) {
  FUZZ_CHECK(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i)
    FUZZ_CHECK(same(a[i], b[i]));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size < 4)
    return 0;
  std::size_t max = std::size_t{data[0]} * 2;
  std::vector<std::size_t> chunks{data[1], data[2], data[3]};
  if (chunks[0] + chunks[1] + chunks[2] == 0)
    chunks = {1};
  std::string_view stream(reinterpret_cast<const char*>(data) + 4, size - 4);
  auto whole = read_all(stream, max, {stream.size()});
  check_same(whole, read_all(stream, max, chunks));
  check_same(whole, read_all(stream, max, {1}));
  return 0;
}
