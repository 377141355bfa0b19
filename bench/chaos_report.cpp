// The chaos report as text and as JSON.
#include <sstream>

#include <nlohmann/json.hpp>

#include "chaos.hpp"
#include "report_format.hpp"

namespace bench {

std::string to_json(const chaos_report& r) {
  auto events = nlohmann::json::array();
  for (auto& e : r.node_events)
    events.push_back({{"what", e.what},
                      {"node", e.node},
                      {"at_s", e.at_s},
                      {"settled_s", e.settled_s}});
  nlohmann::json j{{"mode", "chaos"},
                   {"seed", r.seed},
                   {"rounds", r.rounds},
                   {"servers", servers_json(r.servers, r.clients_per_server)},
                   {"observer_servers", r.observer_server},
                   {"talker_server", r.talker_server},
                   {"faults", r.faults},
                   {"tool_errors", r.tool_errors},
                   {"messages_sent", r.messages_sent},
                   {"messages_refused", r.messages_refused},
                   {"messages_lost", r.messages_lost},
                   {"talk_seconds", r.talk_seconds},
                   {"observer_messages_lost", r.observer_messages_lost},
                   {"observer_out_of_order", r.observer_out_of_order},
                   {"observer_lost_in_faults", r.observer_lost_in_faults},
                   {"lost_samples", r.lost_samples},
                   {"node_events", events},
                   {"sessions_before", r.sessions_before},
                   {"sessions_after", r.sessions_after},
                   {"sessions_leaked", r.sessions_leaked},
                   {"silent_clients", r.silent_clients},
                   {"silent_logged_out", r.silent_logged_out},
                   {"silent_in_time", r.silent_in_time},
                   {"silent_slowest_s", r.silent_slowest_s},
                   {"heartbeat_timeout_s", r.heartbeat_timeout_s},
                   {"silent_late", r.silent_late},
                   {"flood_sent", r.flood.sent},
                   {"flood_refused", r.flood.refused},
                   {"flood_slow_readers", r.flood.slow_readers},
                   {"relogin_ok", r.relogin_ok},
                   {"relogin_failed", r.relogin_failed},
                   {"seconds", r.seconds}};
  return j.dump(2);
}

std::string to_text(const chaos_report& r) {
  std::ostringstream out;
  out << "chaos: " << r.rounds << " rounds in " << fixed(r.seconds)
      << " s (seed " << r.seed << ") against " << r.servers.size()
      << " server(s)\n  " << servers_text(r.servers, r.clients_per_server)
      << " (the faults round-robin)\n  talker on " << r.talker_server
      << ", observers on";
  for (auto& s : r.observer_server)
    out << ' ' << s;
  out << "\n  faults:";
  for (auto& [kind, n] : r.faults)
    out << ' ' << kind << '=' << n;
  for (auto& e : r.node_events) {
    out << "\n  node n" << e.node << ' ' << e.what << " at " << fixed(e.at_s)
        << " s: ";
    auto verb =
        e.what == "restart" || e.what == "heal" ? "rejoined" : "detected";
    if (e.settled_s < 0)
      out << "NOT " << verb;
    else
      out << verb << " after " << fixed(e.settled_s, 3) << " s";
  }
  out << "\n  talker messages accepted " << r.messages_sent << ", refused "
      << r.messages_refused << ", lost " << r.messages_lost << " in "
      << fixed(r.talk_seconds) << " s\n  observer messages lost "
      << r.observer_messages_lost << ", out of order "
      << r.observer_out_of_order;
  if (!r.node_events.empty())
    out << " (missed while a node fault was unsettled: "
        << r.observer_lost_in_faults << ")";
  for (auto& l : r.lost_samples)
    out << "\n    lost: " << l;
  if (r.flood.sent > 0 || !r.flood.slow_readers.empty()) {
    out << "\n  flood messages sent " << r.flood.sent << ", refused "
        << r.flood.refused << "; slow readers by close code:";
    for (auto& [code, n] : r.flood.slow_readers)
      out << ' ' << code << '=' << n;
  }
  out << "\n  silent clients " << r.silent_clients << ", logged out "
      << r.silent_logged_out << ", slowest after " << fixed(r.silent_slowest_s)
      << " s";
  if (r.heartbeat_timeout_s > 0)
    out << "; within the heartbeat timeout + 1 s ("
        << fixed(r.heartbeat_timeout_s + 1) << " s): " << r.silent_in_time;
  for (auto& l : r.silent_late)
    out << "\n    late: " << l;
  out << "\n  sessions before " << r.sessions_before << ", after "
      << r.sessions_after << ", leaked " << r.sessions_leaked
      << "\n  names logged in again " << r.relogin_ok << ", failed "
      << r.relogin_failed << "\n  tool errors " << r.tool_errors << '\n';
  return out.str();
}

} // namespace bench
