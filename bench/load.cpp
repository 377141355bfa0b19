#include "load.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <sstream>
#include <thread>

#include <sys/resource.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "fleet.hpp"
#include "report_format.hpp"
#include "server_metrics.hpp"

namespace bench {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

/// The sum of a sample over every server, or `fallback` if one lacks it.
double metric_or(const load_options& o, const char* name, double fallback) {
  double sum = 0;
  try {
    for (auto& s : o.servers)
      sum += server_metric(s.host, s.port, name);
  } catch (const std::exception&) {
    return fallback;
  }
  return sum;
}

double own_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6;
  };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

/// A load message: "t:<send ns>:" then padding up to `payload` bytes.
std::string load_msg(int payload) {
  auto msg = "t:" + std::to_string(fleet::now_ns()) + ":";
  if (static_cast<int>(msg.size()) < payload)
    msg.append(static_cast<std::size_t>(payload) - msg.size(), 'x');
  return msg;
}

std::string progress_line(fleet& f, uint64_t sent) {
  auto& s = f.stats();
  return "connected " + std::to_string(s.connected.load()) + "  sent " +
         std::to_string(sent) + "  delivered " +
         std::to_string(s.deliveries.load()) + "  p50 " +
         fixed(s.latency.quantile_ms(0.5)) + " ms  p99 " +
         fixed(s.latency.quantile_ms(0.99)) + " ms";
}

/// A login-name prefix no earlier run of this process used.
std::string unique_prefix(const load_options& o) {
  if (!o.prefix.empty())
    return o.prefix;
  static std::atomic<int> runs{0};
  return "l" + std::to_string(::getpid() % 100000) + "x" +
         std::to_string(runs++) + "-";
}

} // namespace

load_report run_load(const load_options& o,
                     const std::function<void(const std::string&)>& progress) {
  load_report r;
  r.opts = o;
  fleet f{o.servers, unique_prefix(o), o.rooms, o.threads};
  f.connect(o.clients, o.connect_rate, 120s);
  auto& st = f.stats();
  r.connected = st.connected.load();
  r.connected_per_server = f.connected_per_server();
  r.connect_failures = st.connect_failures.load();
  std::vector<int> per_room(static_cast<std::size_t>(std::max(1, o.rooms)));
  for (int i = 0; i < o.clients; ++i)
    ++per_room[static_cast<std::size_t>(f.room_of(i))];
  int senders = std::max(1, std::min(o.senders, o.clients));
  std::mt19937 rng{12345};

  // Sends for `seconds` at the rate; returns (sent, expected deliveries).
  double private_acc = 0;
  auto last_progress = steady::now();
  uint64_t max_lag_ms = 0;
  auto send_for = [&](double seconds, uint64_t& sent, uint64_t& expected) {
    auto start = steady::now();
    auto total = static_cast<uint64_t>(seconds * o.rate);
    for (uint64_t k = 0; k < total; ++k) {
      auto due = start + std::chrono::duration_cast<steady::duration>(
                             std::chrono::duration<double>(k / o.rate));
      std::this_thread::sleep_until(due);
      auto lag = std::chrono::duration_cast<std::chrono::milliseconds>(
                     steady::now() - due)
                     .count();
      max_lag_ms = std::max<uint64_t>(max_lag_ms, static_cast<uint64_t>(lag));
      int from = static_cast<int>(k % static_cast<uint64_t>(senders));
      private_acc += o.private_fraction;
      nlohmann::json frame;
      if (private_acc >= 1 && o.clients > 1) {
        private_acc -= 1;
        int to = static_cast<int>(rng() % static_cast<unsigned>(o.clients - 1));
        if (to >= from)
          ++to;
        frame = {{"type", "whisper"},
                 {"to", f.name_of(to)},
                 {"msg", load_msg(o.payload)}};
        expected += 2;
      } else {
        frame = {{"type", "say"}, {"msg", load_msg(o.payload)}};
        expected += static_cast<uint64_t>(
            per_room[static_cast<std::size_t>(f.room_of(from))]);
      }
      f.send(from, frame.dump());
      ++sent;
      if (steady::now() - last_progress > 1s) {
        last_progress = steady::now();
        progress(progress_line(f, sent));
      }
    }
  };

  uint64_t warm_sent = 0, warm_expected = 0;
  send_for(o.warmup, warm_sent, warm_expected);
  auto settle = steady::now() + 5s;
  while (st.deliveries.load() < warm_expected && steady::now() < settle)
    std::this_thread::sleep_for(10ms);
  st.deliveries.store(0);
  st.errors.store(0);
  st.latency.reset();
  max_lag_ms = 0;

  auto cpu_before = metric_or(o, "process_cpu_seconds_total", -1);
  auto tool_cpu_before = own_cpu_seconds();
  auto start = steady::now();
  send_for(o.duration, r.sent, r.expected);
  auto drain = steady::now() + 10s;
  while (st.deliveries.load() < r.expected && steady::now() < drain)
    std::this_thread::sleep_for(5ms);
  r.seconds = std::chrono::duration<double>(steady::now() - start).count();
  auto cpu_after = metric_or(o, "process_cpu_seconds_total", -1);
  r.server_rss_bytes = metric_or(o, "process_resident_memory_bytes", -1);
  r.tool_cpu_share =
      (own_cpu_seconds() - tool_cpu_before) / (r.seconds * (o.threads + 1));
  progress(progress_line(f, r.sent));
  r.delivered = st.deliveries.load();
  r.errors = st.errors.load();
  r.p50_ms = st.latency.quantile_ms(0.5);
  r.p90_ms = st.latency.quantile_ms(0.9);
  r.p99_ms = st.latency.quantile_ms(0.99);
  r.p999_ms = st.latency.quantile_ms(0.999);
  r.max_ms = st.latency.max_ms();
  if (cpu_before >= 0 && cpu_after >= 0) {
    r.server_cpu_s = cpu_after - cpu_before;
    if (r.delivered > 0)
      r.server_cpu_per_100k =
          r.server_cpu_s / static_cast<double>(r.delivered) * 1e5;
  }
  if (r.tool_cpu_share > 0.85) {
    r.tool_bottleneck = true;
    r.bottleneck_reason = "the load generator used " +
                          fixed(r.tool_cpu_share * 100, 0) +
                          "% of its threads' CPU";
  } else if (max_lag_ms > 100) {
    r.tool_bottleneck = true;
    r.bottleneck_reason = "the load generator fell " +
                          std::to_string(max_lag_ms) +
                          " ms behind its send schedule";
  }
  f.stop();
  return r;
}

idle_report run_idle(const load_options& o, double hold, double linger,
                     const std::function<void(const std::string&)>& progress) {
  idle_report r;
  r.clients = o.clients;
  r.servers = o.servers;
  auto start = steady::now();
  r.rss_before = metric_or(o, "process_resident_memory_bytes", -1);
  fleet f{o.servers, unique_prefix(o), o.rooms, o.threads};
  std::thread report([&] {
    while (f.stats().connected.load() + f.stats().connect_failures.load() <
           static_cast<uint64_t>(o.clients)) {
      progress("connected " + std::to_string(f.stats().connected.load()) + "/" +
               std::to_string(o.clients) + "  failed " +
               std::to_string(f.stats().connect_failures.load()));
      std::this_thread::sleep_for(500ms);
      if (steady::now() - start > 300s)
        break;
    }
  });
  f.connect(o.clients, o.connect_rate, 300s);
  report.join();
  std::this_thread::sleep_for(std::chrono::duration<double>(hold));
  r.rss_after = metric_or(o, "process_resident_memory_bytes", -1);
  r.connected = f.stats().connected.load();
  r.connect_failures = f.stats().connect_failures.load();
  r.closed_early = f.stats().closed.load();
  r.connected_per_server = f.connected_per_server();
  if (r.rss_before >= 0 && r.rss_after >= 0 && r.connected > 0)
    r.bytes_per_connection =
        (r.rss_after - r.rss_before) / static_cast<double>(r.connected);
  // A node of a cluster also hears of other nodes' clients: when they all
  // leave at once, it holds their presence frames for a moment. Generators
  // of the other nodes must not measure that.
  std::this_thread::sleep_for(std::chrono::duration<double>(linger));
  f.stop();
  r.seconds = std::chrono::duration<double>(steady::now() - start).count();
  return r;
}

} // namespace bench
