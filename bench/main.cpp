// actorchat-bench: tools to measure and test a chat server speaking
// PROTOCOL.md. See `actorchat-bench --help`.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <string>

#include <sys/resource.h>
#include <unistd.h>

#include "chaos.hpp"
#include "load.hpp"
#include "timeline.hpp"

namespace {

const char* usage = R"(usage: actorchat-bench MODE URL [options]
URL is http://HOST:PORT (or ws://HOST:PORT). Options: --flag VALUE or
--flag=VALUE. Every mode: --json FILE (report as JSON, "-" for stdout),
--quiet (no progress line), --timeline FILE (the server's sessions,
connections, deliveries, disconnects by reason, CPU and RSS from /metrics
4 times a second as CSV, for bench/plot.mjs; chaos adds rounds_done).

load   clients send at a fixed total rate; latency from a timestamp in each
       message; server CPU and RSS from its /metrics
  --clients N (200)  --senders N (10)  --rate MSGS_PER_S (100, all senders)
  --duration S (10)  --warmup S (1)  --private FRACTION (0)  --payload B (64)
  --rooms N (1)  --threads N (2)  --connect-rate N (2000)  --csv FILE
  (--csv appends one line, with a header if the file is new)

idle   hold N connections; server RSS per connection
  --clients N (5000)  --hold S (5)  --rooms N (clients/50)  --threads N (2)
  --connect-rate N (2000)

chaos  rounds of random client faults while observers check that no message
       is lost (exit 1 if anything was lost or leaked)
  --rounds N (100)  --duration S (10; the rounds are spread over it and the
  talker says R messages a second all along)  --seed S (random)
  --observers N (2)  --rate R (10)
  --kinds LIST (all of: reset,fin_mid_frame,half_open,never_read,
               cut_handshake,cut_http)
  --settle S (70; at least the server's heartbeat timeout)
)";

struct cli {
  std::string mode, url;
  std::map<std::string, std::string> values;
  bool quiet = false;
};

int fail(const std::string& msg) {
  std::cerr << "actorchat-bench: " << msg << "\n";
  return 2;
}

bool parse_url(const std::string& url, std::string& host, uint16_t& port) {
  auto rest = url;
  for (const char* scheme : {"http://", "ws://"})
    if (rest.rfind(scheme, 0) == 0)
      rest = rest.substr(std::string{scheme}.size());
  rest = rest.substr(0, rest.find('/'));
  auto colon = rest.rfind(':');
  host = rest.substr(0, colon);
  port = 80;
  if (colon != std::string::npos) {
    auto p = std::stoi(rest.substr(colon + 1));
    if (p <= 0 || p > 65535)
      return false;
    port = static_cast<uint16_t>(p);
  }
  return !host.empty();
}

/// The value of --name, parsed by `convert`, or `fallback`.
template <class T, class F>
T get(cli& c, const std::string& name, T fallback, F convert) {
  auto it = c.values.find(name);
  if (it == c.values.end())
    return fallback;
  auto value = it->second;
  c.values.erase(it);
  return convert(value);
}

int as_int(const std::string& s) {
  return std::stoi(s);
}
double as_double(const std::string& s) {
  return std::stod(s);
}
std::string as_string(const std::string& s) {
  return s;
}

void write_json(const std::string& file, const std::string& json) {
  if (file.empty())
    return;
  if (file == "-")
    std::cout << json << '\n';
  else
    std::ofstream{file} << json << '\n';
}

/// Many connections need many files: raise the soft limit to the hard one.
void raise_file_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << usage;
    return args.empty() ? 2 : 0;
  }
  cli c;
  c.mode = args[0];
  for (std::size_t i = 1; i < args.size(); ++i) {
    const auto& arg = args[i];
    if (arg == "--quiet") {
      c.quiet = true;
    } else if (arg.rfind("--", 0) == 0) {
      auto eq = arg.find('=');
      if (eq != std::string::npos)
        c.values[arg.substr(2, eq - 2)] = arg.substr(eq + 1);
      else if (i + 1 < args.size())
        c.values[arg.substr(2)] = args[++i];
      else
        return fail(arg + " needs a value");
    } else if (c.url.empty()) {
      c.url = arg;
    } else {
      return fail("unexpected argument '" + arg + "'");
    }
  }
  if (c.mode != "load" && c.mode != "idle" && c.mode != "chaos")
    return fail("unknown mode '" + c.mode + "' (see --help)");
  std::string host;
  uint16_t port = 0;
  try {
    if (c.url.empty() || !parse_url(c.url, host, port))
      return fail("missing or bad URL (see --help)");
  } catch (const std::exception&) {
    return fail("bad URL '" + c.url + "'");
  }
  raise_file_limit();
  bool tty = ::isatty(STDERR_FILENO);
  auto progress = [&](const std::string& line) {
    if (c.quiet)
      return;
    if (tty)
      std::cerr << "\r\033[K" << line << std::flush;
    else
      std::cerr << line << '\n';
  };
  auto end_progress = [&] {
    if (tty && !c.quiet)
      std::cerr << "\r\033[K" << std::flush;
  };
  try {
    auto json_file = get(c, "json", std::string{}, as_string);
    auto timeline_file = get(c, "timeline", std::string{}, as_string);
    std::atomic<int> rounds_done{0};
    auto timeline =
        [&](std::vector<bench::metrics_timeline::tool_column> tool_columns) {
          std::vector<bench::metrics_timeline::sample_column> samples{
              {"sessions", "chat_sessions"},
              {"connections", "chat_connections"},
              {"deliveries", "chat_deliveries_total"},
              {"socket_writes", "chat_socket_writes_total"},
              {"cpu_s", "process_cpu_seconds_total"},
              {"rss_bytes", "process_resident_memory_bytes"}};
          for (std::string reason : {"client_close", "reset", "timeout",
                                     "slow_consumer", "refused", "shutdown"})
            samples.push_back(
                {"disconnects_" + reason,
                 "chat_disconnects_total{reason=\"" + reason + "\"}"});
          return std::make_unique<bench::metrics_timeline>(
              host, port, timeline_file, samples, std::move(tool_columns));
        };
    if (c.mode == "chaos") {
      bench::chaos_options o;
      o.host = host;
      o.port = port;
      o.rounds = get(c, "rounds", o.rounds, as_int);
      o.duration = get(c, "duration", o.duration, as_double);
      o.seed = get(c, "seed", static_cast<uint64_t>(std::random_device{}()),
                   [](const std::string& s) { return std::stoull(s); });
      o.observers = get(c, "observers", o.observers, as_int);
      o.talk_rate = get(c, "rate", o.talk_rate, as_double);
      o.kinds = get(c, "kinds", o.kinds, bench::parse_kinds);
      o.settle = std::chrono::milliseconds(
          static_cast<long>(get(c, "settle", 70.0, as_double) * 1000));
      if (!c.values.empty())
        return fail("unknown option --" + c.values.begin()->first);
      if (o.rounds < 1 || o.observers < 1 || o.talk_rate <= 0 ||
          o.duration <= 0)
        return fail("--rounds, --duration, --observers and --rate must be "
                    "positive");
      o.rounds_done = &rounds_done;
      auto sampler = timeline(
          {{"rounds_done", [&] { return double(rounds_done.load()); }}});
      auto r = bench::run_chaos(o, progress);
      sampler.reset();
      end_progress();
      std::cout << bench::to_text(r);
      write_json(json_file, bench::to_json(r));
      bool clean = r.messages_lost == 0 && r.observer_messages_lost == 0 &&
                   r.observer_out_of_order == 0 && r.sessions_leaked == 0 &&
                   r.relogin_failed == 0;
      return clean ? 0 : 1;
    }
    bench::load_options o;
    o.host = host;
    o.port = port;
    o.clients = get(c, "clients", c.mode == "idle" ? 5000 : o.clients, as_int);
    o.threads = get(c, "threads", o.threads, as_int);
    o.connect_rate = get(c, "connect-rate", o.connect_rate, as_double);
    if (c.mode == "idle") {
      auto hold = get(c, "hold", 5.0, as_double);
      // Every login is announced to its room: spread the clients (50 a
      // room by default) so the benchmark measures connections, not an
      // N-squared presence storm.
      o.rooms = get(c, "rooms", std::max(1, o.clients / 50), as_int);
      if (!c.values.empty())
        return fail("unknown option --" + c.values.begin()->first);
      auto sampler = timeline({});
      auto r = bench::run_idle(o, hold, progress);
      sampler.reset();
      end_progress();
      std::cout << bench::to_text(r);
      write_json(json_file, bench::to_json(r));
      return r.connect_failures == 0 ? 0 : 1;
    }
    o.senders = get(c, "senders", o.senders, as_int);
    o.rate = get(c, "rate", o.rate, as_double);
    o.duration = get(c, "duration", o.duration, as_double);
    o.warmup = get(c, "warmup", o.warmup, as_double);
    o.private_fraction = get(c, "private", o.private_fraction, as_double);
    o.payload = get(c, "payload", o.payload, as_int);
    o.rooms = get(c, "rooms", o.rooms, as_int);
    auto csv_file = get(c, "csv", std::string{}, as_string);
    if (!c.values.empty())
      return fail("unknown option --" + c.values.begin()->first);
    if (o.clients < 1 || o.senders < 1 || o.rate <= 0 || o.duration <= 0)
      return fail("--clients, --senders, --rate and --duration must be "
                  "positive");
    auto sampler = timeline({});
    auto r = bench::run_load(o, progress);
    sampler.reset();
    end_progress();
    std::cout << bench::to_text(r);
    write_json(json_file, bench::to_json(r));
    if (!csv_file.empty()) {
      bool fresh = !std::ifstream{csv_file}.good();
      std::ofstream csv{csv_file, std::ios::app};
      if (fresh)
        csv << bench::csv_header() << '\n';
      csv << bench::to_csv(r) << '\n';
    }
    return r.lost() == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    end_progress();
    return fail(e.what());
  }
}
