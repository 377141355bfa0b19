// The reports of load and idle: text, JSON and CSV.
#include <functional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "load.hpp"
#include "report_format.hpp"

namespace bench {

std::string to_text(const load_report& r) {
  const auto& o = r.opts;
  std::ostringstream out;
  out << "load: " << fixed(r.seconds) << " s against " << o.servers.size()
      << " server(s)\n  " << servers_text(o.servers, r.connected_per_server)
      << "\n  " << o.clients << " clients (" << r.connected << " connected, "
      << r.connect_failures << " failed), " << o.senders << " senders, "
      << o.rate << " msg/s, " << fixed(o.private_fraction * 100, 0)
      << "% private, " << o.payload << "-byte msg, " << o.rooms << " room(s)\n"
      << "  Latency    p50 " << fixed(r.p50_ms) << " ms   p90 "
      << fixed(r.p90_ms) << " ms   p99 " << fixed(r.p99_ms) << " ms   p99.9 "
      << fixed(r.p999_ms) << " ms   max " << fixed(r.max_ms) << " ms\n"
      << "  " << r.sent << " messages sent, " << r.delivered << " of "
      << r.expected << " deliveries (" << fixed(r.delivered / r.seconds, 0)
      << "/s), " << r.lost() << " lost, " << r.errors << " error frames\n";
  if (r.server_cpu_per_100k >= 0)
    out << "  Server CPU " << fixed(r.server_cpu_s)
        << " s = " << fixed(r.server_cpu_per_100k, 3)
        << " s per 100k deliveries; RSS "
        << fixed(r.server_rss_bytes / 1048576, 1) << " MiB\n";
  else
    out << "  Server CPU unknown (no process_cpu_seconds_total in /metrics)\n";
  out << "  Load generator CPU " << fixed(r.tool_cpu_share * 100, 0)
      << "% of its threads\n";
  if (r.tool_bottleneck)
    out << "  WARNING: the load generator, not the server, was the "
           "bottleneck: "
        << r.bottleneck_reason << '\n';
  return out.str();
}

std::string to_json(const load_report& r) {
  const auto& o = r.opts;
  nlohmann::json j{{"mode", "load"},
                   {"servers", servers_json(o.servers, r.connected_per_server)},
                   {"clients", o.clients},
                   {"senders", o.senders},
                   {"rate", o.rate},
                   {"duration", o.duration},
                   {"private_fraction", o.private_fraction},
                   {"payload", o.payload},
                   {"rooms", o.rooms},
                   {"connected", r.connected},
                   {"connect_failures", r.connect_failures},
                   {"sent", r.sent},
                   {"expected", r.expected},
                   {"delivered", r.delivered},
                   {"lost", r.lost()},
                   {"errors", r.errors},
                   {"seconds", r.seconds},
                   {"deliveries_per_s", r.delivered / r.seconds},
                   {"latency_ms",
                    {{"p50", r.p50_ms},
                     {"p90", r.p90_ms},
                     {"p99", r.p99_ms},
                     {"p999", r.p999_ms},
                     {"max", r.max_ms}}},
                   {"server_cpu_s", r.server_cpu_s},
                   {"server_cpu_s_per_100k_deliveries", r.server_cpu_per_100k},
                   {"server_rss_bytes", r.server_rss_bytes},
                   {"tool_cpu_share", r.tool_cpu_share},
                   {"tool_bottleneck", r.tool_bottleneck},
                   {"bottleneck_reason", r.bottleneck_reason}};
  return j.dump(2);
}

namespace {

/// One CSV column: its header and its value in a row.
struct csv_field {
  const char* name;
  std::function<std::string(const load_report&)> value;
};

template <class T> std::string str(T x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

/// The columns of --csv, header and rows alike.
const std::vector<csv_field>& csv_fields() {
  using r_t = const load_report&;
  static const std::vector<csv_field> fields{
      {"clients", [](r_t r) { return str(r.opts.clients); }},
      {"senders", [](r_t r) { return str(r.opts.senders); }},
      {"rate", [](r_t r) { return str(r.opts.rate); }},
      {"private_fraction", [](r_t r) { return str(r.opts.private_fraction); }},
      {"payload", [](r_t r) { return str(r.opts.payload); }},
      {"rooms", [](r_t r) { return str(r.opts.rooms); }},
      {"seconds", [](r_t r) { return fixed(r.seconds, 3); }},
      {"sent", [](r_t r) { return str(r.sent); }},
      {"expected", [](r_t r) { return str(r.expected); }},
      {"delivered", [](r_t r) { return str(r.delivered); }},
      {"lost", [](r_t r) { return str(r.lost()); }},
      {"deliveries_per_s",
       [](r_t r) { return fixed(r.delivered / r.seconds, 1); }},
      {"p50_ms", [](r_t r) { return fixed(r.p50_ms, 3); }},
      {"p90_ms", [](r_t r) { return fixed(r.p90_ms, 3); }},
      {"p99_ms", [](r_t r) { return fixed(r.p99_ms, 3); }},
      {"p999_ms", [](r_t r) { return fixed(r.p999_ms, 3); }},
      {"max_ms", [](r_t r) { return fixed(r.max_ms, 3); }},
      {"server_cpu_s_per_100k",
       [](r_t r) { return fixed(r.server_cpu_per_100k, 4); }},
      {"server_rss_bytes", [](r_t r) { return fixed(r.server_rss_bytes, 0); }},
      {"tool_bottleneck", [](r_t r) { return str(r.tool_bottleneck ? 1 : 0); }},
      // Last: the columns before it keep their places in older files.
      {"servers", [](r_t r) { return str(r.opts.servers.size()); }},
  };
  return fields;
}

} // namespace

std::string csv_header() {
  std::string out;
  for (auto& f : csv_fields())
    out += (out.empty() ? "" : ",") + std::string{f.name};
  return out;
}

std::string to_csv(const load_report& r) {
  std::string out;
  bool first = true;
  for (auto& f : csv_fields()) {
    out += (first ? "" : ",") + f.value(r);
    first = false;
  }
  return out;
}

std::string to_text(const idle_report& r) {
  std::ostringstream out;
  out << "idle: " << r.connected << " of " << r.clients << " connections held ("
      << r.connect_failures << " failed, " << r.closed_early
      << " closed early) in " << fixed(r.seconds, 1) << " s\n  "
      << servers_text(r.servers, r.connected_per_server) << '\n';
  if (r.bytes_per_connection >= 0)
    out << "  Server RSS " << fixed(r.rss_before / 1048576, 1) << " MiB -> "
        << fixed(r.rss_after / 1048576, 1)
        << " MiB = " << fixed(r.bytes_per_connection / 1024, 2)
        << " KiB per connection\n";
  return out.str();
}

std::string to_json(const idle_report& r) {
  nlohmann::json j{{"mode", "idle"},
                   {"servers", servers_json(r.servers, r.connected_per_server)},
                   {"clients", r.clients},
                   {"connected", r.connected},
                   {"connect_failures", r.connect_failures},
                   {"closed_early", r.closed_early},
                   {"rss_before", r.rss_before},
                   {"rss_after", r.rss_after},
                   {"bytes_per_connection", r.bytes_per_connection},
                   {"seconds", r.seconds}};
  return j.dump(2);
}

} // namespace bench
