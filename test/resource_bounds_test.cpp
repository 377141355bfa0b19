// PROTOCOL.md "Hostile clients (v2)", memory: whatever one client sends or
// fails to read, the server holds no more for it than about --max-backlog +
// --max-frame + a fixed overhead. Measured as the resident set of the real
// server process (a release build: a sanitizer's quarantine keeps freed
// memory resident, so this binary is not built under sanitizers).
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "raw_socket.hpp"
#include "server_metrics.hpp"
#include "server_process.hpp"
#include "ws_client.hpp"

using namespace test;
using namespace client;

namespace {

constexpr std::size_t KiB = 1024, MiB = 1024 * KiB;
constexpr std::size_t max_backlog = 1 * MiB, max_frame = 64 * KiB;
/// What one connection may cost besides its backlog and one frame: its
/// session actor, buffers, and the allocator's slack.
constexpr std::size_t fixed_overhead = 1 * MiB;

/// The server under test: the real binary, default limits, one thread of
/// each kind (as README's command runs it).
struct bounded_server {
  server_process proc;
  uint16_t port;

  explicit bounded_server(std::vector<std::string> extra = {})
      : proc(args(std::move(extra))), port(proc.port()) {
    // Warm up: the first login allocates the actor system's and the
    // allocator's one-off structures; they are not a client's cost.
    for (int i = 0; i < 3; ++i) {
      ws_client warm{port, "/ws/warmup" + std::to_string(i)};
      warm.expect("welcome");
    }
    std::this_thread::sleep_for(300ms);
  }

  static std::vector<std::string> args(std::vector<std::string> extra) {
    std::vector<std::string> a{"--port",        "0",
                               "--max-backlog", std::to_string(max_backlog),
                               "--max-frame",   std::to_string(max_frame),
                               "--rate-limit",  "1000000",
                               "--rate-burst",  "1000000"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }

  double metric(const std::string& sample) const {
    return bench::server_metric("127.0.0.1", port, sample);
  }

  bool wait_metric(const std::string& sample, double value,
                   std::chrono::milliseconds timeout = 10s) const {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (metric(sample) < value) {
      if (std::chrono::steady_clock::now() > end)
        return false;
      std::this_thread::sleep_for(20ms);
    }
    return true;
  }
};

/// The largest resident set seen while `work` runs, sampled every 5 ms.
template <class F>
std::size_t peak_rss_during(const server_process& proc, F work) {
  std::atomic<bool> done{false};
  std::size_t peak = proc.rss_bytes();
  std::thread sampler{[&] {
    while (!done) {
      peak = std::max(peak, proc.rss_bytes());
      std::this_thread::sleep_for(5ms);
    }
  }};
  work();
  done = true;
  sampler.join();
  return std::max(peak, proc.rss_bytes());
}

double mib(std::size_t bytes) {
  return static_cast<double>(bytes) / MiB;
}

const std::string slow_consumers =
    "chat_disconnects_total{reason=\"slow_consumer\"}";

} // namespace

TEST_CASE("a flood of 400,000 pings from a client that never reads grows "
          "the server by at most 2 MiB and ends in 1008",
          "[process][resources]") {
  bounded_server srv;
  auto before = srv.proc.rss_bytes();
  raw_socket flooder{srv.port, 4096};
  flooder.upgrade("/ws/flooder");
  const auto ping = ws_frame(op_ping, std::string(125, 'p'));
  std::string burst;
  for (int i = 0; i < 1000; ++i)
    burst += ping;
  int sent = 0;
  auto peak = peak_rss_during(srv.proc, [&] {
    // The server stops reading once its pongs are past the backlog, and
    // closes; send() then fails or blocks in the kernel's buffers.
    for (; sent < 400 && flooder.send(burst); ++sent) {
      if (srv.metric(slow_consumers) >= 1)
        break;
    }
    CHECK(srv.wait_metric(slow_consumers, 1));
  });
  INFO("sent " << sent << "k pings; RSS " << mib(before) << " -> peak "
               << mib(peak) << " MiB");
  CHECK(peak - before <= 2 * MiB);
  std::string rest;
  CHECK(flooder.wait_eof(15s, &rest));
}

TEST_CASE("a client that sends 64 KiB frames at wire speed and never reads "
          "costs at most backlog + frame + overhead",
          "[process][resources]") {
  bounded_server srv;
  auto before = srv.proc.rss_bytes();
  // The default receive buffer: one shrunk to 4 KiB overflows with the
  // server's small replies, its kernel drops them, and TCP's retransmit
  // backoff then stalls this sender's stream for tens of seconds.
  raw_socket sender{srv.port};
  sender.upgrade("/ws/sender");
  // A say whose msg is past --max-msg: each earns an error reply that the
  // client never reads, while the server reads 120 MB at wire speed.
  const auto frame = ws_frame(op_text, R"({"type":"say","msg":")" +
                                           std::string(60000, 'x') + "\"}");
  int sent = 0;
  auto peak = peak_rss_during(srv.proc, [&] {
    for (; sent < 2000 && sender.send(frame); ++sent) {
    }
  });
  INFO("sent " << sent << " frames");
  CHECK(sent == 2000);
  INFO("RSS " << mib(before) << " -> peak " << mib(peak) << " MiB");
  CHECK(peak - before <= max_backlog + max_frame + fixed_overhead);
}

TEST_CASE("a room member that never reads costs at most backlog + frame + "
          "overhead however much its room says",
          "[process][resources]") {
  bounded_server srv;
  raw_socket sleeper{srv.port, 4096};
  sleeper.upgrade("/ws/sleeper");
  ws_client talker{srv.port, "/ws/talker"};
  talker.expect("welcome");
  auto before = srv.proc.rss_bytes();
  const std::string msg(4000, 'm');
  auto peak = peak_rss_during(srv.proc, [&] {
    for (int i = 0; i < 3000 && srv.metric(slow_consumers) < 1; ++i) {
      talker.send_json({{"type", "say"}, {"msg", msg}});
      if (i % 20 == 19)
        std::this_thread::sleep_for(1ms);
    }
    CHECK(srv.wait_metric(slow_consumers, 1));
  });
  INFO("RSS " << mib(before) << " -> peak " << mib(peak) << " MiB");
  CHECK(peak - before <= max_backlog + max_frame + fixed_overhead);
}

TEST_CASE("clients that trickle a frame a byte at a time each cost far less "
          "than the frame they announce",
          "[process][resources]") {
  // A frame limit of 1 MiB: a reader that reserved what a header announces
  // would hold 100 MiB for these 100 clients.
  bounded_server srv{{"--max-frame", std::to_string(1 * MiB)}};
  auto before = srv.proc.rss_bytes();
  // A masked text frame header announcing 1 MiB - 1 (64-bit length form).
  std::string header{'\x81', '\xff', 0, 0, 0, 0, 0, '\x0f', '\xff', '\xff'};
  header += std::string{"\x01\x02\x03\x04"};
  std::vector<std::unique_ptr<raw_socket>> clients;
  for (int i = 0; i < 100; ++i) {
    clients.push_back(std::make_unique<raw_socket>(srv.port));
    clients.back()->upgrade("/ws/trickle" + std::to_string(i));
  }
  auto peak = peak_rss_during(srv.proc, [&] {
    for (std::size_t b = 0; b < header.size() + 3; ++b) {
      for (auto& c : clients)
        c->send(b < header.size() ? header.substr(b, 1) : std::string("x"));
      std::this_thread::sleep_for(250ms);
    }
  });
  INFO("RSS " << mib(before) << " -> peak " << mib(peak) << " MiB");
  CHECK(peak - before <= 100 * 64 * KiB);
}
