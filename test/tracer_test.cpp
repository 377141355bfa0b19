// The tracer actor and its line format, on a real file (no sockets).
#include <catch2/catch.hpp>

#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/context.hpp"
#include "actors/tracer.hpp"
#include "temp_dir.hpp"

using json = nlohmann::json;
using namespace std::chrono_literals;
using test::read_lines;

namespace {

/// Ends the tracer the way the server does; true once it replied.
bool shut_down(caf::actor_system& sys, const chat::tracer_actor& tracer) {
  caf::scoped_actor self{sys};
  bool ok = false;
  self->request(tracer, 5s, chat::shutdown_atom::value)
      .receive([&](caf::ok_atom) { ok = true; }, [](caf::error&) {});
  return ok;
}

} // namespace

TEST_CASE("a trace line has the documented keys in order and no id for a "
          "message outside any chat message",
          "[actors][trace]") {
  CHECK(chat::trace_line({42, "session:alice", "room:lobby", "publish", 17}) ==
        R"({"ts_ns":42,"from":"session:alice","to":"room:lobby",)"
        R"("msg":"publish","id":17})");
  CHECK(chat::trace_line({-1, "conn:bob", "session:bob", "ws_down", 0}) ==
        R"({"ts_ns":-1,"from":"conn:bob","to":"session:bob","msg":"ws_down"})");
}

TEST_CASE("trace lines escape user names and replace invalid UTF-8",
          "[actors][trace]") {
  std::string evil = "a\"b\\c\n<img src=x>\x01 小明 🙂";
  auto line = chat::trace_line({1, "session:" + evil, "registry", "login", 0});
  CHECK(line.find('\n') == std::string::npos);
  auto j = json::parse(line);
  CHECK(j["from"] == "session:" + evil);
  // A name is validated after login: the trace may see any bytes.
  auto bad = chat::trace_line({1, "session:\xff\xfe", "registry", "login", 0});
  CHECK(json::parse(bad)["from"] == "session:\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_CASE("the tracer writes every record and batch in order and flushes "
          "when idle",
          "[actors][trace]") {
  test::temp_dir dir;
  auto file = dir.path / "trace.jsonl";
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto tracer = chat::spawn_tracer(sys, file.string());
  // Idle after three records: they reach the file without a shutdown, so a
  // crash would lose little.
  for (uint64_t i = 1; i <= 3; ++i)
    caf::anon_send(tracer, chat::trace_atom::value,
                   chat::trace_record{1, "a", "b", "m", i});
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (read_lines(file).size() < 3 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  CHECK(read_lines(file).size() == 3);
  auto rec = [](uint64_t i) {
    return chat::trace_record{static_cast<int64_t>(i), "a", "b", "m", i};
  };
  for (uint64_t i = 4; i <= 1000; ++i)
    caf::anon_send(tracer, chat::trace_atom::value, rec(i));
  // A room's deliveries come as one batch: one line each, in batch order.
  for (uint64_t i = 1001; i <= 5000; i += 100) {
    std::vector<chat::trace_record> batch;
    for (uint64_t j = i; j < i + 100; ++j)
      batch.push_back(rec(j));
    caf::anon_send(tracer, chat::trace_atom::value, std::move(batch));
  }
  REQUIRE(shut_down(sys, tracer));
  auto lines = read_lines(file);
  REQUIRE(lines.size() == 5000);
  std::size_t in_order = 0;
  for (std::size_t i = 0; i < lines.size(); ++i)
    in_order += json::parse(lines[i])["id"] == i + 1 ? 1 : 0;
  CHECK(in_order == lines.size());
}

TEST_CASE("an unwritable trace path is refused before anything starts",
          "[actors][trace]") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  CHECK_THROWS_WITH(chat::spawn_tracer(sys, "/nonexistent-dir/trace.jsonl"),
                    Catch::Contains("cannot open trace file"));
}

TEST_CASE("tracing is off unless a tracer is set", "[actors][trace]") {
  chat::context ctx;
  CHECK_FALSE(ctx.tracing());
  test::temp_dir dir;
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  ctx.tracer = chat::spawn_tracer(sys, (dir.path / "trace.jsonl").string());
  CHECK(ctx.tracing());
  REQUIRE(shut_down(sys, ctx.tracer));
  // Cleared after the last actor, as the server does at its stop.
  ctx.tracer = nullptr;
  CHECK_FALSE(ctx.tracing());
}
