// The JSON decoder of client frames (actors/codec) fed any text frame.
// Input: the frame itself; odd-length inputs decode with a `msg` limit of 5
// code points (so too_long is reachable), even-length ones with the default
// 4096. Checked: decode never throws, frames nested deeper than 32 levels
// are bad_json, every accepted field obeys the protocol's rules, and what
// the server would write back from a decoded frame is valid JSON that reads
// back the same.
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/codec.hpp"
#include "actors/validate.hpp"
#include "fuzz_check.hpp"

namespace {

using nlohmann::json;
using namespace chat;

/// Deepest nesting of arrays and objects in `j`, without recursion (a
/// fuzzer's JSON may be deep enough to overflow the stack).
std::size_t depth_of(const json& j) {
  std::size_t deepest = 0;
  std::vector<std::pair<const json*, std::size_t>> todo{{&j, 0}};
  while (!todo.empty()) {
    auto [v, d] = todo.back();
    todo.pop_back();
    if (!v->is_structured())
      continue;
    deepest = std::max(deepest, d + 1);
    for (const auto& child : *v)
      todo.emplace_back(&child, d + 1);
  }
  return deepest;
}

void check_msg(const std::string& msg, std::size_t max) {
  auto n = fuzz::reference_decode(msg);
  FUZZ_CHECK(n.has_value());
  FUZZ_CHECK(n->size() <= max);
  FUZZ_CHECK(utf8_length(msg) == n->size());
}

/// A name by the login rules; the validate target checks those rules.
void check_name(const std::string& name) {
  FUZZ_CHECK(is_valid_name(name));
  auto n = fuzz::reference_decode(name);
  FUZZ_CHECK(n && !n->empty() && n->size() <= max_name_code_points);
}

/// Server output must be JSON that parses (no exception: ASCII or UTF-8).
json reparse(const std::string& out) {
  FUZZ_CHECK(fuzz::reference_valid_utf8(out));
  auto j = json::parse(out, nullptr, false);
  FUZZ_CHECK(!j.is_discarded() && j.is_object());
  return j;
}

void check_request(const codec::request& req, std::size_t max) {
  if (auto* say = std::get_if<codec::say_request>(&req)) {
    check_msg(say->msg, max);
    if (say->room)
      check_name(*say->room);
    auto out = reparse(codec::encode(
        {1, 2, "alice", "", say->room.value_or("lobby"), say->msg}));
    FUZZ_CHECK(out["msg"] == say->msg);
  } else if (auto* w = std::get_if<codec::whisper_request>(&req)) {
    check_msg(w->msg, max);
    check_name(w->to);
    auto out = reparse(codec::encode({1, 2, "alice", w->to, "", w->msg}));
    FUZZ_CHECK(out["msg"] == w->msg && out["to_user"] == w->to);
  } else if (auto* j = std::get_if<codec::join_request>(&req)) {
    check_name(j->room);
  } else if (auto* u = std::get_if<codec::users_request>(&req)) {
    if (u->room)
      check_name(*u->room);
  } else if (auto* p = std::get_if<codec::ping_request>(&req)) {
    FUZZ_CHECK(depth_of(p->id) < codec::max_nesting);
    auto out = reparse(codec::encode_pong(p->id));
    FUZZ_CHECK(out["type"] == "pong");
    FUZZ_CHECK(out["id"] == p->id); // the id comes back as it was sent
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::size_t max = size % 2 ? 5 : 4096;
  codec::decoded result;
  try {
    result = codec::decode(text, max);
  } catch (...) {
    FUZZ_CHECK(false && "decode threw");
  }
  // A raw NUL is never valid JSON text, but nlohmann's parser takes it for
  // the end of the input: decode must refuse it before parsing (found by
  // this target, test/fuzz/crashes/README.md).
  bool has_nul = text.find('\0') != std::string_view::npos;
  if (has_nul) {
    auto* err = std::get_if<codec::decode_error>(&result);
    FUZZ_CHECK(err && err->code == error_code::bad_json);
    return 0;
  }
  // The same parser, read apart: how deep the frame really is.
  auto parsed = json::parse(text, nullptr, false);
  bool well_formed = !parsed.is_discarded();
  if (auto* err = std::get_if<codec::decode_error>(&result)) {
    if (well_formed && depth_of(parsed) > codec::max_nesting)
      FUZZ_CHECK(err->code == error_code::bad_json);
    if (err->code == error_code::bad_json)
      FUZZ_CHECK(!well_formed || !parsed.is_object() ||
                 depth_of(parsed) > codec::max_nesting);
    reparse(codec::encode_error(err->code, err->detail));
    return 0;
  }
  FUZZ_CHECK(well_formed && parsed.is_object());
  FUZZ_CHECK(depth_of(parsed) <= codec::max_nesting);
  check_request(std::get<codec::request>(result), max);
  return 0;
}
