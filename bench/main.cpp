// actorchat-bench: tools to measure and test a chat server speaking
// PROTOCOL.md. See `actorchat-bench --help`.
#include <algorithm>
#include <atomic>
#include <chrono>
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
#include "local_cluster.hpp"
#include "timeline.hpp"

namespace {

const char* usage = R"(usage: actorchat-bench MODE URL... [options]
URL is http://HOST:PORT (or ws://HOST:PORT); several servers (the nodes of a
cluster) as a comma list, several URLs, or --url URL more than once: the
clients are spread over them round-robin. Options: --flag VALUE or
--flag=VALUE. Every mode: --json FILE (report as JSON, "-" for stdout),
--quiet (no progress line), --timeline FILE (the first server's sessions,
connections, deliveries, disconnects by reason, CPU and RSS from /metrics
4 times a second as CSV, for bench/plot.mjs; chaos adds rounds_done).

load   clients send at a fixed total rate; latency from a timestamp in each
       message to its receipt by every receiver, whatever its server;
       server CPU and RSS (summed over the servers) from their /metrics
  --clients N (200)  --senders N (10)  --rate MSGS_PER_S (100, all senders)
  --duration S (10)  --warmup S (1)  --private FRACTION (0)  --payload B (64)
  --rooms N (1)  --threads N (2)  --connect-rate N (2000)  --csv FILE
  (--csv appends one line, with a header if the file is new)

idle   hold N connections; server RSS per connection
  --clients N (5000)  --hold S (5)  --rooms N (clients/50)  --threads N (2)
  --connect-rate N (2000)  --linger S (0: the clients stay S seconds after
  the measurement, so that one generator per node of a cluster measures
  before another's clients leave)

chaos  rounds of random client faults while observers check that no message
       is lost (exit 1 if anything was lost or leaked)
  --rounds N (100)  --duration S (10; the rounds are spread over it and the
  talker says R messages a second all along)  --seed S (random)
  --observers N (2)  --rate R (10)
  --kinds LIST (all of: reset,fin_mid_frame,half_open,never_read,
               cut_handshake,cut_http)
  --settle S (70; at least the server's heartbeat timeout)
  --silent N (0: sockets that finish the upgrade, then send nothing; with
  the half_open and never_read faults their logouts are timed)
  --heartbeat-timeout S (0; the server's: each silent client must be
  logged out within S + 1 s)
  busy load in a room of its own: --flood-senders N (0) --flood-rate R
  (100 a second per sender) --flood-bytes B (4000) --slow-readers N (0:
  members that read 4 KiB every 100 ms and answer pings)
  node faults (no URL): --cluster N --server-binary PATH starts N actorchat
  nodes on loopback, each node's links behind a fault-injecting proxy; the
  last node is SIGKILLed and restarted, then cut off and healed, while the
  clients use the others  --node-timeout S (2)  (--settle defaults to 10:
  the nodes run with --heartbeat-timeout 3)
)";

struct cli {
  std::string mode;
  std::vector<bench::server_url> urls;
  std::map<std::string, std::string> values;
  bool quiet = false;
  bool tty = false;

  void progress(const std::string& line) const {
    if (quiet)
      return;
    if (tty)
      std::cerr << "\r\033[K" << line << std::flush;
    else
      std::cerr << line << '\n';
  }
  void end_progress() const {
    if (tty && !quiet)
      std::cerr << "\r\033[K" << std::flush;
  }
  auto progress_fn() const {
    return [this](const std::string& line) { progress(line); };
  }
};

int fail(const std::string& msg) {
  std::cerr << "actorchat-bench: " << msg << "\n";
  return 2;
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

/// Throws if an option was given that the mode did not take.
void no_unknown_options(const cli& c) {
  if (!c.values.empty())
    throw std::invalid_argument("unknown option --" + c.values.begin()->first);
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

/// The --timeline sampler of `server` (does nothing without --timeline).
std::unique_ptr<bench::metrics_timeline>
timeline(const std::string& file, const bench::server_url& server,
         std::vector<bench::metrics_timeline::tool_column> tool_columns = {}) {
  std::vector<bench::metrics_timeline::sample_column> samples{
      {"sessions", "chat_sessions"},
      {"connections", "chat_connections"},
      {"deliveries", "chat_deliveries_total"},
      {"socket_writes", "chat_socket_writes_total"},
      {"cpu_s", "process_cpu_seconds_total"},
      {"rss_bytes", "process_resident_memory_bytes"}};
  for (std::string reason : {"client_close", "reset", "timeout",
                             "slow_consumer", "refused", "shutdown"})
    samples.push_back({"disconnects_" + reason,
                       "chat_disconnects_total{reason=\"" + reason + "\"}"});
  return std::make_unique<bench::metrics_timeline>(
      server.host, server.port, file, samples, std::move(tool_columns));
}

/// The output files every mode takes: --json and --timeline.
struct outputs {
  std::string json, timeline;
};

outputs get_outputs(cli& c) {
  outputs out;
  out.json = get(c, "json", std::string{}, as_string);
  out.timeline = get(c, "timeline", std::string{}, as_string);
  return out;
}

/// Every mode's end: stops the sampler and the progress line, prints the
/// report and writes it to the --json file.
template <class Report>
void report(cli& c, std::unique_ptr<bench::metrics_timeline>& sampler,
            const outputs& out, const Report& r) {
  sampler.reset();
  c.end_progress();
  std::cout << bench::to_text(r);
  write_json(out.json, bench::to_json(r));
}

/// The options load and idle share.
bench::load_options load_common(cli& c) {
  bench::load_options o;
  o.servers = c.urls;
  o.clients = get(c, "clients", c.mode == "idle" ? 5000 : o.clients, as_int);
  o.threads = get(c, "threads", o.threads, as_int);
  o.connect_rate = get(c, "connect-rate", o.connect_rate, as_double);
  return o;
}

int idle_mode(cli& c) {
  auto o = load_common(c);
  auto hold = get(c, "hold", 5.0, as_double);
  auto linger = get(c, "linger", 0.0, as_double);
  // Every login is announced to its room: spread the clients (50 a room by
  // default) so the benchmark measures connections, not an N-squared
  // presence storm.
  o.rooms = get(c, "rooms", std::max(1, o.clients / 50), as_int);
  auto out = get_outputs(c);
  no_unknown_options(c);
  auto sampler = timeline(out.timeline, o.servers[0]);
  auto r = bench::run_idle(o, hold, linger, c.progress_fn());
  report(c, sampler, out, r);
  return r.connect_failures == 0 ? 0 : 1;
}

int load_mode(cli& c) {
  auto o = load_common(c);
  o.senders = get(c, "senders", o.senders, as_int);
  o.rate = get(c, "rate", o.rate, as_double);
  o.duration = get(c, "duration", o.duration, as_double);
  o.warmup = get(c, "warmup", o.warmup, as_double);
  o.private_fraction = get(c, "private", o.private_fraction, as_double);
  o.payload = get(c, "payload", o.payload, as_int);
  o.rooms = get(c, "rooms", o.rooms, as_int);
  auto csv_file = get(c, "csv", std::string{}, as_string);
  auto out = get_outputs(c);
  no_unknown_options(c);
  if (o.clients < 1 || o.senders < 1 || o.rate <= 0 || o.duration <= 0)
    return fail("--clients, --senders, --rate and --duration must be "
                "positive");
  auto sampler = timeline(out.timeline, o.servers[0]);
  auto r = bench::run_load(o, c.progress_fn());
  report(c, sampler, out, r);
  if (!csv_file.empty()) {
    bool fresh = !std::ifstream{csv_file}.good();
    std::ofstream csv{csv_file, std::ios::app};
    if (fresh)
      csv << bench::csv_header() << '\n';
    csv << bench::to_csv(r) << '\n';
  }
  return r.lost() == 0 ? 0 : 1;
}

int chaos_mode(cli& c) {
  bench::chaos_options o;
  o.servers = c.urls;
  o.rounds = get(c, "rounds", o.rounds, as_int);
  o.duration = get(c, "duration", o.duration, as_double);
  o.seed = get(c, "seed", static_cast<uint64_t>(std::random_device{}()),
               [](const std::string& s) { return std::stoull(s); });
  o.observers = get(c, "observers", o.observers, as_int);
  o.talk_rate = get(c, "rate", o.talk_rate, as_double);
  o.kinds = get(c, "kinds", o.kinds, bench::parse_kinds);
  o.silent = get(c, "silent", o.silent, as_int);
  o.heartbeat_timeout = std::chrono::milliseconds(
      static_cast<long>(get(c, "heartbeat-timeout", 0.0, as_double) * 1000));
  o.flood.senders = get(c, "flood-senders", o.flood.senders, as_int);
  o.flood.rate = get(c, "flood-rate", o.flood.rate, as_double);
  o.flood.bytes = get(c, "flood-bytes", o.flood.bytes, as_int);
  o.flood.slow_readers = get(c, "slow-readers", o.flood.slow_readers, as_int);
  bench::local_cluster_options co;
  co.nodes = get(c, "cluster", 0, as_int);
  co.binary = get(c, "server-binary", std::string{}, as_string);
  co.node_timeout = get(c, "node-timeout", co.node_timeout, as_double);
  o.settle = std::chrono::milliseconds(static_cast<long>(
      get(c, "settle", co.nodes ? 10.0 : 70.0, as_double) * 1000));
  auto out = get_outputs(c);
  no_unknown_options(c);
  if (o.rounds < 1 || o.observers < 1 || o.talk_rate <= 0 || o.duration <= 0)
    return fail("--rounds, --duration, --observers and --rate must be "
                "positive");
  if (o.silent < 0 || o.flood.senders < 0 || o.flood.slow_readers < 0 ||
      o.flood.rate <= 0 || o.flood.bytes < 1)
    return fail("--silent, --flood-senders and --slow-readers must not be "
                "negative, --flood-rate and --flood-bytes must be positive");
  std::unique_ptr<bench::local_cluster> cluster;
  if (co.nodes) {
    if (co.nodes < 2 || co.binary.empty() || !c.urls.empty())
      return fail("--cluster needs N >= 2, --server-binary and no URL");
    // Short heartbeats let the settle be short; the talker's rate must pass
    // the nodes' rate limit.
    auto limit = std::to_string(std::max(40.0, 2 * o.talk_rate));
    co.extra_args = {
        "--heartbeat-timeout", "3",   "--handshake-timeout", "2",
        "--rate-limit",        limit, "--rate-burst",        limit};
    c.progress("starting " + std::to_string(co.nodes) + " nodes");
    cluster = std::make_unique<bench::local_cluster>(co);
    o.cluster = cluster.get();
    c.urls = cluster->urls();
  } else if (c.urls.empty()) {
    return fail("missing URL (see --help)");
  }
  std::atomic<int> rounds_done{0};
  o.rounds_done = &rounds_done;
  auto sampler =
      timeline(out.timeline, c.urls[0],
               {{"rounds_done", [&] { return double(rounds_done.load()); }}});
  auto r = bench::run_chaos(o, c.progress_fn());
  report(c, sampler, out, r);
  bool settled = true;
  for (auto& e : r.node_events)
    settled = settled && e.settled_s >= 0;
  bool clean = r.messages_lost == 0 && r.observer_messages_lost == 0 &&
               r.observer_out_of_order == 0 && r.sessions_leaked == 0 &&
               r.relogin_failed == 0 && settled && r.silent_late.empty();
  return clean ? 0 : 1;
}

/// Splits argv into the mode, the URLs and the --options.
void parse_args(const std::vector<std::string>& args, cli& c) {
  c.mode = args[0];
  for (std::size_t i = 1; i < args.size(); ++i) {
    const auto& arg = args[i];
    if (arg == "--quiet") {
      c.quiet = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) {
      bench::parse_urls(arg, c.urls);
      continue;
    }
    std::string name, value;
    auto eq = arg.find('=');
    if (eq != std::string::npos) {
      name = arg.substr(2, eq - 2);
      value = arg.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      name = arg.substr(2);
      value = args[++i];
    } else {
      throw std::invalid_argument(arg + " needs a value");
    }
    if (name == "url")
      bench::parse_urls(value, c.urls);
    else
      c.values[name] = value;
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
  c.tty = ::isatty(STDERR_FILENO);
  try {
    parse_args(args, c);
    if (c.mode != "load" && c.mode != "idle" && c.mode != "chaos")
      return fail("unknown mode '" + c.mode + "' (see --help)");
    if (c.mode != "chaos" && c.urls.empty())
      return fail("missing URL (see --help)");
    raise_file_limit();
    if (c.mode == "chaos")
      return chaos_mode(c);
    return c.mode == "idle" ? idle_mode(c) : load_mode(c);
  } catch (const std::exception& e) {
    c.end_progress();
    return fail(e.what());
  }
}
