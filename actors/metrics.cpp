#include "actors/metrics.hpp"

#include <cstdio>
#include <fstream>
#include <sstream>

#include <unistd.h>

namespace chat {

const char* to_string(actor_kind k) {
  switch (k) {
  case actor_kind::registry:
    return "registry";
  case actor_kind::room:
    return "room";
  case actor_kind::session:
    return "session";
  case actor_kind::mirror:
    return "mirror";
  case actor_kind::node:
    return "node";
  case actor_kind::count_:
    break;
  }
  return "unknown";
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
  for (size_t i = 0; i < errors.size(); ++i)
    out << "chat_errors_total{code=\"" << to_string(static_cast<error_code>(i))
        << "\"} " << get(errors[i]) << '\n';
  header(out, "chat_disconnects_total", "counter",
         "WebSocket connections ended, by reason.");
  for (size_t i = 0; i < disconnects.size(); ++i)
    out << "chat_disconnects_total{reason=\""
        << to_string(static_cast<disconnect_reason>(i)) << "\"} "
        << get(disconnects[i]) << '\n';
  header(out, "chat_actor_messages_total", "counter",
         "Messages handled, by actor kind.");
  for (size_t i = 0; i < actor_messages.size(); ++i)
    out << "chat_actor_messages_total{actor=\""
        << to_string(static_cast<actor_kind>(i)) << "\"} "
        << get(actor_messages[i]) << '\n';
  header(out, "chat_actor_mailbox_max", "gauge",
         "Largest mailbox depth seen, by actor kind.");
  for (size_t i = 0; i < actor_mailbox_max.size(); ++i)
    out << "chat_actor_mailbox_max{actor=\""
        << to_string(static_cast<actor_kind>(i)) << "\"} "
        << get(actor_mailbox_max[i]) << '\n';
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
