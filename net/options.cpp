#include "net/options.hpp"

#include "actors/node.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>
#include <sstream>
#include <vector>

namespace chat::net {

server_options::server_options() : www(ACTORCHAT_DEFAULT_WWW) {}

namespace {

using apply_fn = std::function<bool(server_options&, const std::string&)>;

struct flag {
  const char* name;
  const char* arg;
  const char* help;
  std::string default_value;
  /// Applies the value; returns false if it is invalid.
  apply_fn apply;
};

bool parse_number(const std::string& text, double min, double max,
                  double& out) {
  try {
    std::size_t used = 0;
    out = std::stod(text, &used);
    return used == text.size() && std::isfinite(out) && out >= min &&
           out <= max;
  } catch (...) {
    return false;
  }
}

/// The field of `o` that the member pointers of `path` lead to, e.g.
/// (&server_options::lim, &limits::max_frame_bytes): o.lim.max_frame_bytes.
template <class... Path> auto& field_at(server_options& o, Path... path) {
  return (o.*....*path); // a left fold of .*
}

/// The number type of a field (of an optional one: what it holds).
template <class T> struct whole_type { using type = T; };
template <class T> struct whole_type<std::optional<T>> { using type = T; };
template <class T> using whole_t = typename whole_type<T>::type;

/// A whole number in [min, max].
template <class... Path>
apply_fn whole_number(double min, double max, Path... path) {
  return [=](server_options& o, const std::string& v) {
    double x;
    if (!parse_number(v, min, max, x) || x != std::floor(x))
      return false;
    auto& field = field_at(o, path...);
    field = static_cast<whole_t<std::decay_t<decltype(field)>>>(x);
    return true;
  };
}

/// Seconds in [min, max], kept as milliseconds.
template <class... Path>
apply_fn seconds(double min, double max, Path... path) {
  return [=](server_options& o, const std::string& v) {
    double x;
    if (!parse_number(v, min, max, x))
      return false;
    field_at(o, path...) = std::chrono::milliseconds{std::llround(x * 1000)};
    return true;
  };
}

/// Any text but the empty one (an address, a path, a file).
template <class... Path> apply_fn non_empty(Path... path) {
  return [=](server_options& o, const std::string& v) {
    field_at(o, path...) = v;
    return !v.empty();
  };
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in{text};
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty())
      out.push_back(item);
  return out;
}

std::string secs(std::chrono::milliseconds ms) {
  std::ostringstream out;
  out << ms.count() / 1000.0;
  return out.str();
}

std::vector<flag> all_flags() {
  server_options d;
  return {
      {"bind", "ADDR", "address to listen on", d.bind,
       non_empty(&server_options::bind)},
      {"port", "N", "TCP port; 0 picks a free one", std::to_string(d.port),
       whole_number(0, 65535, &server_options::port)},
      {"www", "DIR", "directory of the static files", d.www,
       non_empty(&server_options::www)},
      {"threads", "N", "I/O (Asio) threads", std::to_string(d.io_threads),
       whole_number(1, 256, &server_options::io_threads)},
      {"actor-threads", "N", "actor (CAF scheduler) threads",
       std::to_string(d.actor_threads),
       whole_number(1, 256, &server_options::actor_threads)},
      {"scheduler", "POLICY", "CAF scheduler: sharing or stealing", d.scheduler,
       [](server_options& o, const std::string& v) {
         o.scheduler = v;
         return v == "sharing" || v == "stealing";
       }},
      {"io-uring", "on|off",
       "hand each I/O thread's batch of socket writes to the kernel in one "
       "io_uring submission (off: one send() per socket)",
       d.io_uring ? "on" : "off",
       [](server_options& o, const std::string& v) {
         o.io_uring = v == "on";
         return v == "on" || v == "off";
       }},
      {"heartbeat-timeout", "SECONDS",
       "close a connection silent this long (pinged at half of it)",
       secs(d.lim.heartbeat_timeout),
       seconds(0.001, 86400, &server_options::lim, &limits::heartbeat_timeout)},
      {"handshake-timeout", "SECONDS",
       "longest time to send an HTTP request or finish the upgrade",
       secs(d.lim.handshake_timeout),
       seconds(0.001, 86400, &server_options::lim, &limits::handshake_timeout)},
      {"rate-limit", "MSGS_PER_S", "client frames per second per session",
       std::to_string(static_cast<int>(d.lim.rate_per_second)),
       [](server_options& o, const std::string& v) {
         return parse_number(v, 0.001, 1e9, o.lim.rate_per_second);
       }},
      {"rate-burst", "N", "frames a session may send at once",
       std::to_string(static_cast<int>(d.lim.rate_burst)),
       [](server_options& o, const std::string& v) {
         return parse_number(v, 1, 1e9, o.lim.rate_burst);
       }},
      {"max-frame", "BYTES", "largest client frame (past it: close 1009)",
       std::to_string(d.lim.max_frame_bytes),
       whole_number(16, 1 << 30, &server_options::lim,
                    &limits::max_frame_bytes)},
      {"max-msg", "CODE_POINTS", "longest 'msg' (past it: error too_long)",
       std::to_string(d.lim.max_msg_code_points),
       whole_number(1, 1 << 30, &server_options::lim,
                    &limits::max_msg_code_points)},
      {"max-backlog", "BYTES",
       "unsent bytes per connection (past it: close 1008 slow consumer)",
       std::to_string(d.lim.max_backlog_bytes),
       whole_number(1024, 1ull << 40, &server_options::lim,
                    &limits::max_backlog_bytes)},
      {"max-connections", "N",
       "open connections; past it new ones get 503 (0: open-files limit "
       "minus a margin)",
       "0",
       whole_number(0, 1e9, &server_options::lim, &limits::max_connections)},
      {"allowed-origins", "LIST",
       "comma list of origins (https://host[:port]) whose pages may open a "
       "WebSocket besides this server's own; * allows any",
       "none",
       [](server_options& o, const std::string& v) {
         return o.allowed_origins.parse(v);
       }},
      {"trace", "FILE",
       "write one JSON line per message between actors to FILE (truncated)",
       "off", non_empty(&server_options::trace_file)},
      {"cluster-port", "N",
       "serve one chat with other nodes: listen for them on this port (0: "
       "any free one, logged)",
       "off (single node)",
       whole_number(0, 65535, &server_options::cluster, &cluster_flags::port)},
      {"cluster-bind", "ADDR", "address the node links listen on",
       d.cluster.bind,
       non_empty(&server_options::cluster, &cluster_flags::bind)},
      {"join", "HOST:PORT,...",
       "nodes to join at start (their cluster ports); retried until one "
       "answers",
       "none",
       [](server_options& o, const std::string& v) {
         o.cluster.join = split_list(v);
         return !o.cluster.join.empty() &&
                std::all_of(o.cluster.join.begin(), o.cluster.join.end(),
                            [](const std::string& a) {
                              return split_host_port(a).has_value();
                            });
       }},
      {"node-name", "NAME", "this node's name in logs, metrics and traces",
       "HOST:CLUSTER-PORT",
       [](server_options& o, const std::string& v) {
         o.cluster.node_name = v;
         return !v.empty() && v.size() <= 64;
       }},
      {"node-timeout", "SECONDS",
       "a node silent this long is dead: its users leave, its rooms move",
       secs(d.cluster.node_timeout),
       seconds(0.2, 3600, &server_options::cluster,
               &cluster_flags::node_timeout)},
      {"cluster-advertise", "HOST:PORT",
       "where other nodes reach this one, if not the bind address and port",
       "ADDR:CLUSTER-PORT",
       [](server_options& o, const std::string& v) {
         o.cluster.advertise = v;
         return split_host_port(v).has_value();
       }},
      {"cluster-cert", "FILE",
       "this node's certificate (PEM): node links use mutual TLS", "off",
       non_empty(&server_options::cluster, &cluster_flags::cert)},
      {"cluster-key", "FILE", "the private key of --cluster-cert (PEM)", "off",
       non_empty(&server_options::cluster, &cluster_flags::key)},
      {"cluster-ca", "FILE",
       "the CA (PEM) that signed every node's certificate", "off",
       non_empty(&server_options::cluster, &cluster_flags::ca)},
      {"log-level", "LEVEL", "error, warn, info or debug", "info",
       [](server_options& o, const std::string& v) {
         auto lvl = log::parse_level(v);
         if (lvl)
           o.log_level = *lvl;
         return lvl.has_value();
       }},
  };
}

std::string help_text(const std::vector<flag>& flags) {
  std::ostringstream out;
  out << "usage: actorchat [--flag VALUE | --flag=VALUE]...\n\n";
  for (const auto& f : flags) {
    std::string left = std::string{"  --"} + f.name + ' ' + f.arg;
    out << left << std::string(left.size() < 34 ? 34 - left.size() : 1, ' ')
        << f.help << " (default: " << f.default_value << ")\n";
  }
  out << "  --help                          this text\n";
  return out.str();
}

} // namespace

parse_result parse_options(int argc, const char* const* argv) {
  auto flags = all_flags();
  server_options opts;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h")
      return help_requested{help_text(flags)};
    if (arg.rfind("--", 0) != 0)
      return bad_options{"unexpected argument '" + arg + "' (see --help)"};
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    auto it = std::find_if(flags.begin(), flags.end(),
                           [&](const flag& f) { return name == f.name; });
    if (it == flags.end())
      return bad_options{"unknown flag '--" + name + "' (see --help)"};
    if (!value) {
      if (i + 1 >= argc)
        return bad_options{"flag '--" + name + "' needs a value"};
      value = argv[++i];
    }
    if (!it->apply(opts, *value))
      return bad_options{"invalid value '" + *value + "' for --" + name +
                         " (expects " + it->arg + ")"};
  }
  auto& c = opts.cluster;
  if ((c.cert.empty() != c.key.empty()) || (c.cert.empty() != c.ca.empty()))
    return bad_options{"--cluster-cert, --cluster-key and --cluster-ca go "
                       "together"};
  if (!c.port && (!c.join.empty() || !c.node_name.empty() || c.tls()))
    return bad_options{"cluster flags need --cluster-port"};
  return opts;
}

} // namespace chat::net
