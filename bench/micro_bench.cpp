// Micro-benchmarks (Google Benchmark): the JSON codec, room fan-out without
// sockets (members' connections only count what they get), with the message
// trace off and on, and the tracer's line format.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "actors/codec.hpp"
#include "actors/context.hpp"
#include "actors/protocol.hpp"
#include "actors/room.hpp"
#include "actors/tracer.hpp"

namespace {

void decode_seed_broadcast(benchmark::State& state) {
  const std::string text =
      R"({"to_user": "", "msg": "hello, this is a 64-byte chat message for the micro bench!"})";
  for (auto _ : state)
    benchmark::DoNotOptimize(chat::codec::decode(text, 4096));
}
BENCHMARK(decode_seed_broadcast);

void decode_typed_whisper(benchmark::State& state) {
  const std::string text =
      R"({"type":"whisper","to":"bob","msg":"hello, this is a 64-byte chat message for the micro bench!"})";
  for (auto _ : state)
    benchmark::DoNotOptimize(chat::codec::decode(text, 4096));
}
BENCHMARK(decode_typed_whisper);

void encode_message(benchmark::State& state) {
  const std::string msg(64, 'x');
  uint64_t id = 0;
  for (auto _ : state)
    benchmark::DoNotOptimize(chat::codec::encode(chat::codec::chat_message{
        ++id, 1764100000123, "alice", "", "lobby", msg}));
}
BENCHMARK(encode_message);

/// A connection that only counts frames.
class counting_connection : public chat::outbound {
public:
  explicit counting_connection(std::atomic<uint64_t>& n) : n_(n) {}
  bool send(chat::frame) override {
    n_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  void close(uint16_t, std::string, chat::disconnect_reason) override {}
  void consumed(std::size_t) override {}

private:
  std::atomic<uint64_t>& n_;
};

chat::session_actor::behavior_type idle_session(chat::session_actor::pointer) {
  return {
      [](chat::ws_text_atom, const std::string&, int64_t) {},
      [](chat::ws_binary_atom, int64_t) {},
      [](chat::ws_close_atom, uint16_t, const std::string&,
         chat::disconnect_reason) {},
      [](chat::ws_down_atom, const std::string&) {},
      [](chat::shutdown_atom) {},
      [](chat::name_lost_atom) {},
  };
}

chat::room_owner::behavior_type null_owner(chat::room_owner::pointer) {
  return {[](chat::room_empty_atom, const std::string&) {},
          [](chat::ready_atom, const std::string&, chat::session_actor) {}};
}

/// One publish to a room of N members: encode once, queue N times. With
/// `traced`, a tracer writes to /dev/null: the room then also builds N + 1
/// trace records; the tracer formats them on its own thread.
void fan_out_bench(benchmark::State& state, bool traced) {
  auto members = static_cast<int>(state.range(0));
  chat::context ctx;
  caf::actor_system_config cfg;
  cfg.set("scheduler.policy", caf::atom("sharing"));
  cfg.set("scheduler.max-threads", 1);
  {
    caf::actor_system sys{cfg};
    if (traced)
      ctx.tracer = chat::spawn_tracer(sys, "/dev/null");
    std::atomic<uint64_t> delivered{0};
    auto owner = sys.spawn(null_owner);
    caf::scoped_actor self{sys};
    chat::room_actor room;
    {
      // spawn_room wants a parent actor; the scoped actor is one.
      room = chat::spawn_room(caf::actor_cast<caf::local_actor*>(self.ptr()),
                              "bench", owner, ctx);
    }
    std::vector<std::shared_ptr<counting_connection>> conns;
    std::vector<chat::session_actor> sessions;
    for (int i = 0; i < members; ++i) {
      conns.push_back(std::make_shared<counting_connection>(delivered));
      sessions.push_back(sys.spawn(idle_session));
      self->request(room, caf::infinite, chat::join_atom::value,
                    sessions.back(), "m" + std::to_string(i),
                    chat::connection_ref{conns.back()}, chat::entry::join)
          .receive([](caf::ok_atom) {}, [](caf::error&) {});
    }
    const std::string msg(64, 'x');
    for (auto _ : state)
      self->request(room, caf::infinite, chat::publish_atom::value,
                    std::string{"m0"}, msg, uint64_t{0})
          .receive([](uint64_t) {}, [](caf::error&) {});
    state.SetItemsProcessed(state.iterations() * members);
    state.counters["deliveries/s"] =
        benchmark::Counter(static_cast<double>(state.iterations() * members),
                           benchmark::Counter::kIsRate);
    for (auto& s : sessions)
      caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(room, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(owner, caf::exit_reason::user_shutdown);
    if (traced) {
      // As the server does: every record written, then the handle dropped.
      self->request(ctx.tracer, caf::infinite, chat::shutdown_atom::value)
          .receive([](caf::ok_atom) {}, [](caf::error&) {});
      ctx.tracer = nullptr;
    }
  }
}

void room_fan_out(benchmark::State& state) {
  fan_out_bench(state, false);
}
BENCHMARK(room_fan_out)->Arg(10)->Arg(200)->Arg(1000)->UseRealTime();

void room_fan_out_traced(benchmark::State& state) {
  fan_out_bench(state, true);
}
BENCHMARK(room_fan_out_traced)->Arg(10)->Arg(200)->Arg(1000)->UseRealTime();

/// The tracer's share of one record: one JSON line.
void trace_line_format(benchmark::State& state) {
  const chat::trace_record r{1234567890123, "room:lobby", "conn:alice",
                             "message", 17};
  for (auto _ : state)
    benchmark::DoNotOptimize(chat::trace_line(r));
}
BENCHMARK(trace_line_format);

} // namespace

BENCHMARK_MAIN();
