#include "actors/metrics.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "actors/enum_names.hpp"

namespace chat {

namespace {

constexpr enum_name<actor_kind> actor_kind_names[] = {
    {actor_kind::registry, "registry"}, {actor_kind::room, "room"},
    {actor_kind::session, "session"},   {actor_kind::mirror, "mirror"},
    {actor_kind::node, "node"},
};
static_assert(names_all(actor_kind_names),
              "a name for every actor_kind, in its order");

} // namespace

const char* to_string(actor_kind k) {
  return name_of(actor_kind_names, k);
}

void metrics::observe_delivery(int64_t ns) {
  if (ns < 0)
    ns = 0;
  auto secs = static_cast<double>(ns) * 1e-9;
  size_t i = 0;
  while (i < delivery_buckets.size() && secs > delivery_buckets[i])
    ++i;
  delivery_counts[i].fetch_add(1, std::memory_order_relaxed);
  delivery_ns_sum.fetch_add(static_cast<uint64_t>(ns),
                            std::memory_order_relaxed);
}

namespace {

uint64_t get(const std::atomic<uint64_t>& x) {
  return x.load(std::memory_order_relaxed);
}

/// A number as Prometheus reads it: `%g` with enough digits, never locale-
/// or stream-state dependent.
std::string num(double x, int digits = 15) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, x);
  return buf;
}

void header(std::ostringstream& out, const char* name, const char* type,
            const char* help) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type
      << '\n';
}

/// One sample a value of `Enum` (the index into `counters`), labelled with
/// the value's name: name{label="value"} count.
template <class Enum, class Counters>
void by_enum(std::ostringstream& out, const char* name, const char* label,
             const Counters& counters) {
  for (size_t i = 0; i < counters.size(); ++i)
    out << name << '{' << label << "=\"" << to_string(static_cast<Enum>(i))
        << "\"} " << get(counters[i]) << '\n';
}

/// CPU seconds (user + system) of this process, from /proc/self/stat.
double process_cpu_seconds() {
  std::ifstream stat{"/proc/self/stat"};
  std::string text{std::istreambuf_iterator<char>{stat}, {}};
  // Fields after the parenthesised command name; utime and stime are the
  // 14th and 15th fields of the whole line.
  auto rest = text.substr(text.rfind(')') + 2);
  std::istringstream in{rest};
  std::string field;
  unsigned long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14)
      utime = std::stoul(field);
    else if (i == 15)
      stime = std::stoul(field);
  }
  return static_cast<double>(utime + stime) /
         static_cast<double>(::sysconf(_SC_CLK_TCK));
}

/// Resident set size of this process in bytes, from /proc/self/statm.
double process_resident_bytes() {
  std::ifstream statm{"/proc/self/statm"};
  unsigned long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) *
         static_cast<double>(::sysconf(_SC_PAGESIZE));
}

} // namespace

std::string metrics::render() const {
  std::ostringstream out;
  header(out, "chat_sessions", "gauge", "Logged-in chat sessions.");
  out << "chat_sessions " << sessions.load() << '\n';
  header(out, "chat_rooms", "gauge", "Rooms that exist, lobby included.");
  out << "chat_rooms " << rooms.load() << '\n';
  header(out, "chat_connections", "gauge", "Open WebSocket connections.");
  out << "chat_connections " << connections.load() << '\n';
  if (auto nodes = cluster_nodes.load(); nodes > 0) {
    header(out, "chat_cluster_nodes", "gauge",
           "Cluster nodes this node sees up, itself included.");
    out << "chat_cluster_nodes " << nodes << '\n';
    header(out, "chat_node_info", "gauge", "This node's name.");
    out << "chat_node_info{node=\"" << node_name << "\"} 1\n";
    links.render(out);
  }
  header(out, "chat_messages_total", "counter",
         "Chat messages accepted, by kind.");
  out << "chat_messages_total{kind=\"broadcast\"} " << get(broadcasts) << '\n'
      << "chat_messages_total{kind=\"private\"} " << get(privates) << '\n';
  header(out, "chat_deliveries_total", "counter",
         "Chat messages handed to a recipient's connection.");
  out << "chat_deliveries_total " << get(deliveries) << '\n';
  header(out, "chat_socket_writes_total", "counter",
         "Write system calls on WebSocket connections; several frames can "
         "leave in one.");
  out << "chat_socket_writes_total " << get(socket_writes) << '\n';
  header(out, "chat_errors_total", "counter", "Error frames sent, by code.");
  by_enum<error_code>(out, "chat_errors_total", "code", errors);
  header(out, "chat_disconnects_total", "counter",
         "WebSocket connections ended, by reason.");
  by_enum<disconnect_reason>(out, "chat_disconnects_total", "reason",
                             disconnects);
  header(out, "chat_actor_messages_total", "counter",
         "Messages handled, by actor kind.");
  by_enum<actor_kind>(out, "chat_actor_messages_total", "actor",
                      actor_messages);
  header(out, "chat_actor_mailbox_max", "gauge",
         "Largest mailbox depth seen, by actor kind.");
  by_enum<actor_kind>(out, "chat_actor_mailbox_max", "actor",
                      actor_mailbox_max);
  header(out, "chat_delivery_seconds", "histogram",
         "From a session receiving a chat frame to its deliveries being "
         "queued on the recipients' connections.");
  uint64_t cumulative = 0;
  for (size_t i = 0; i < delivery_buckets.size(); ++i) {
    cumulative += get(delivery_counts[i]);
    out << "chat_delivery_seconds_bucket{le=\"" << num(delivery_buckets[i])
        << "\"} " << cumulative << '\n';
  }
  cumulative += get(delivery_counts.back());
  out << "chat_delivery_seconds_bucket{le=\"+Inf\"} " << cumulative << '\n'
      << "chat_delivery_seconds_sum "
      << num(static_cast<double>(get(delivery_ns_sum)) * 1e-9) << '\n'
      << "chat_delivery_seconds_count " << cumulative << '\n';
  header(out, "process_cpu_seconds_total", "counter",
         "Total user and system CPU time spent in seconds.");
  out << "process_cpu_seconds_total " << num(process_cpu_seconds()) << '\n';
  header(out, "process_resident_memory_bytes", "gauge",
         "Resident memory size in bytes.");
  out << "process_resident_memory_bytes " << num(process_resident_bytes())
      << '\n';
  return out.str();
}

} // namespace chat
