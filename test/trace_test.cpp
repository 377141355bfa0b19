// The message trace (--trace) of a real server, read back after a scripted
// chat over real sockets.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <set>
#include <vector>

#include "temp_dir.hpp"
#include "test_server.hpp"
#include "ws_client.hpp"

using namespace test;
using namespace client;

namespace {

/// What the scripted chat produced: the trace lines (in file order) and the
/// ids the clients saw.
struct traced_chat {
  std::vector<json> lines;
  uint64_t broadcast_id = 0;
  uint64_t private_id = 0;
  bool ends_with_newline = false;
};

/// alice and bob log in, alice says "hi" to the lobby and whispers "psst"
/// to bob, bob disconnects; then the server stops (which ends the trace).
traced_chat run_traced_chat() {
  temp_dir dir;
  auto file = dir.path / "trace.jsonl";
  traced_chat out;
  {
    test_server srv{
        [&](chat::net::server_options& o) { o.trace_file = file.string(); }};
    auto alice = std::make_unique<ws_client>(srv.port(), "/ws/alice");
    alice->expect("welcome");
    auto bob = std::make_unique<ws_client>(srv.port(), "/ws/bob");
    bob->expect("welcome");
    alice->send_json({{"type", "say"}, {"msg", "hi"}});
    out.broadcast_id = alice->expect("message")["id"].get<uint64_t>();
    CHECK(bob->expect("message")["id"] == out.broadcast_id);
    alice->send_json({{"type", "whisper"}, {"to", "bob"}, {"msg", "psst"}});
    out.private_id = bob->expect("message")["id"].get<uint64_t>();
    CHECK(alice->expect("message")["id"] == out.private_id);
    bob->close();
    // The room and the registry have handled bob's end.
    for (;;) {
      auto p = alice->expect("presence");
      if (p["event"] == "leave" && p["user"] == "bob")
        break;
    }
    REQUIRE(srv.wait_metric("chat_sessions", 1));
    srv.server().stop();
  }
  std::ifstream in{file, std::ios::binary};
  REQUIRE(in);
  std::string text{std::istreambuf_iterator<char>{in}, {}};
  out.ends_with_newline = !text.empty() && text.back() == '\n';
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos)
      end = text.size();
    auto line = json::parse(text.substr(start, end - start), nullptr, false);
    INFO("line " << out.lines.size() + 1 << ": "
                 << text.substr(start, end - start));
    REQUIRE_FALSE(line.is_discarded());
    out.lines.push_back(std::move(line));
    start = end + 1;
  }
  return out;
}

/// The lines of chat message `id`, by time (the order of the file is per
/// recording actor; only ts_ns orders lines across actors).
std::vector<json> path_of(const traced_chat& t, uint64_t id) {
  std::vector<json> path;
  for (const auto& l : t.lines)
    if (l.value("id", uint64_t{0}) == id)
      path.push_back(l);
  std::stable_sort(path.begin(), path.end(), [](const json& a, const json& b) {
    return a["ts_ns"].get<int64_t>() < b["ts_ns"].get<int64_t>();
  });
  return path;
}

/// The first line from -> to of kind msg (and chat id `id`, if non-zero);
/// fails the test if there is none.
json find(const std::vector<json>& lines, const std::string& from,
          const std::string& to, const std::string& msg, uint64_t id = 0) {
  for (const auto& l : lines)
    if (l["from"] == from && l["to"] == to && l["msg"] == msg &&
        (id == 0 || l.value("id", uint64_t{0}) == id))
      return l;
  FAIL("no trace line " << from << " -> " << to << " " << msg
                        << (id ? " with id " + std::to_string(id) : ""));
  return {};
}

/// One line each, for an INFO that outlives the loop (an INFO inside a loop
/// body ends with it and reports nothing).
std::string dump(const std::vector<json>& lines) {
  std::string out;
  for (const auto& l : lines)
    out += l.dump() + '\n';
  return out;
}

int64_t ts(const json& line) {
  return line["ts_ns"].get<int64_t>();
}

/// Each line was recorded no later than the next one.
void check_in_time_order(std::initializer_list<json> lines) {
  const json* before = nullptr;
  for (const auto& l : lines) {
    if (before) {
      INFO(before->dump() << "\n  before\n" << l.dump());
      CHECK(ts(*before) <= ts(l));
    }
    before = &l;
  }
}

/// The `n` lines of chat message `id`, which start where alice's frame
/// reaches her session (fails the test otherwise).
std::vector<json> path_from_alice(const traced_chat& t, uint64_t id,
                                  std::size_t n) {
  auto path = path_of(t, id);
  INFO("the message's lines:\n" << dump(path));
  REQUIRE(path.size() == n);
  CHECK(path.front() == find(path, "conn:alice", "session:alice", "frame"));
  return path;
}

} // namespace

TEST_CASE("with --trace every line is one JSON object with ts_ns, from, to, "
          "msg and an id only on chat messages",
          "[e2e][trace]") {
  auto t = run_traced_chat();
  CHECK(t.ends_with_newline);
  REQUIRE(t.lines.size() > 20);
  const std::set<std::string> keys{"ts_ns", "from", "to", "msg", "id"};
  for (const auto& l : t.lines) {
    INFO(l.dump());
    REQUIRE(l.is_object());
    for (const auto& [key, value] : l.items())
      CHECK(keys.count(key) == 1);
    CHECK(l["ts_ns"].is_number_integer());
    CHECK(l["from"].is_string());
    CHECK(l["to"].is_string());
    CHECK(l["msg"].is_string());
    if (l.contains("id")) {
      CHECK(l["id"].is_number_unsigned());
      CHECK(l["id"].get<uint64_t>() > 0);
    }
  }
  // Logins, the lobby and the shutdown are traced too, without ids.
  for (std::string user : {"alice", "bob"}) {
    auto s = "session:" + user;
    CHECK_FALSE(find(t.lines, s, "registry", "login").contains("id"));
    find(t.lines, "registry", s, "login_reply");
    find(t.lines, s, "registry", "join");
    find(t.lines, s, "room:lobby", "join");
    find(t.lines, "room:lobby", s, "join_reply");
  }
  find(t.lines, "room:lobby", "registry", "ready");
  find(t.lines, "server", "registry", "shutdown");
  find(t.lines, "registry", "session:alice", "shutdown");
  find(t.lines, "server", "registry", "exit");
}

TEST_CASE("a message's id links its lines in time order (a broadcast's "
          "publish and deliveries, a private message's lookup reply and both "
          "connections), and a close is traced to the room and registry",
          "[e2e][trace]") {
  auto t = run_traced_chat();
  {
    auto path = path_from_alice(t, t.broadcast_id, 5);
    INFO("the broadcast's lines:\n" << dump(path));
    auto publish = find(path, "session:alice", "room:lobby", "publish");
    auto to_alice = find(path, "room:lobby", "conn:alice", "message");
    auto to_bob = find(path, "room:lobby", "conn:bob", "message");
    auto reply = find(path, "room:lobby", "session:alice", "publish_reply");
    check_in_time_order({path.front(), publish, to_alice, reply});
    check_in_time_order({publish, to_bob, reply});
    CHECK(path.back() == reply);
  }
  auto path = path_from_alice(t, t.private_id, 4);
  INFO("the private message's lines:\n" << dump(path));
  auto reply = find(path, "registry", "session:alice", "lookup_reply");
  auto to_bob = find(path, "session:alice", "conn:bob", "private");
  auto echo = find(path, "session:alice", "conn:alice", "private");
  check_in_time_order({path.front(), reply, to_bob, echo});
  // The lookup itself comes before the id exists: traced without one.
  auto lookup = find(t.lines, "session:alice", "registry", "lookup");
  CHECK_FALSE(lookup.contains("id"));
  check_in_time_order({path.front(), lookup, reply});

  // Bob closed: his session hears the close behind his last frame.
  auto down = find(t.lines, "conn:bob", "session:bob", "ws_close");
  check_in_time_order(
      {down, find(t.lines, "session:bob", "room:lobby", "down")});
  check_in_time_order({down, find(t.lines, "session:bob", "registry", "down")});
}
