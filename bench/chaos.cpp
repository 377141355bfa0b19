#include "chaos.hpp"

#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "chaos_liveness.hpp"
#include "chaos_talker.hpp"
#include "raw_socket.hpp"
#include "report_format.hpp"
#include "server_metrics.hpp"
#include "ws_client.hpp"

namespace bench {

using namespace std::chrono_literals;
using client::ws_client;
using steady = std::chrono::steady_clock;

namespace {

constexpr const char* kind_names[] = {"reset",         "fin_mid_frame",
                                      "half_open",     "never_read",
                                      "cut_handshake", "cut_http"};

/// Logs `name` in on `s`, joins `room` and waits for the join ack.
std::unique_ptr<ws_client> member(const server_url& s, const std::string& name,
                                  const std::string& room) {
  auto c = std::make_unique<ws_client>(s.host, s.port, "/ws/" + name);
  c->expect("welcome", 10s);
  c->send_json({{"type", "join"}, {"room", room}});
  for (;;) {
    auto f = c->expect("presence", 10s);
    if (f["user"] == name && f["room"] == room)
      return c;
  }
}

/// What the rounds leave behind to check afterwards.
struct fault_state {
  std::vector<std::pair<std::string, server_url>> logged_in; // to log in again
  std::vector<std::unique_ptr<client::raw_socket>> held;     // silent peers
  silent_watch* watch = nullptr; // times the silent peers' logouts
};

/// Logs `name` in on `s` with a socket that then sends nothing (and, with
/// a small `rcvbuf`, can hardly receive either).
void go_silent(const server_url& s, const std::string& name, int rcvbuf,
               fault_state& st) {
  auto sock = std::make_unique<client::raw_socket>(s.host, s.port, rcvbuf);
  sock->upgrade("/ws/" + name); // its last byte
  st.watch->silent(name);
  st.held.push_back(std::move(sock));
  st.logged_in.push_back({name, s});
}

/// One client fault as `name` against `s`; throws if the tool cannot.
void client_fault(fault_kind kind, const server_url& s, const std::string& name,
                  std::mt19937_64& rng, fault_state& st) {
  switch (kind) {
  case fault_kind::reset: {
    ws_client c{s.host, s.port, "/ws/" + name};
    c.expect("welcome");
    c.reset();
    st.logged_in.push_back({name, s});
    break;
  }
  case fault_kind::fin_mid_frame: {
    client::raw_socket sock{s.host, s.port};
    sock.upgrade("/ws/" + name);
    auto frame =
        client::ws_frame(client::op_text, R"({"type":"say","msg":"cut"})");
    sock.send(frame.substr(0, 1 + rng() % (frame.size() - 1)));
    sock.shutdown_write();
    st.logged_in.push_back({name, s});
    break;
  }
  case fault_kind::half_open:
  case fault_kind::never_read:
    go_silent(s, name, kind == fault_kind::never_read ? 2048 : 0, st);
    break;
  case fault_kind::cut_handshake: {
    client::raw_socket sock{s.host, s.port};
    std::string req = "GET /ws/" + name +
                      " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n";
    sock.send(req.substr(0, 1 + rng() % (req.size() - 1)));
    sock.reset();
    break;
  }
  case fault_kind::cut_http: {
    client::raw_socket sock{s.host, s.port};
    std::string req = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
    sock.send(req.substr(0, 1 + rng() % (req.size() - 1)));
    sock.shutdown_write();
    break;
  }
  }
}

/// chat_sessions summed over the servers.
long sessions(const std::vector<server_url>& servers) {
  double n = 0;
  for (auto& s : servers)
    n += server_metric(s.host, s.port, "chat_sessions");
  return static_cast<long>(n);
}

/// Fills the report's silent-client lines from the watch's logout times.
void judge_silent(const std::map<std::string, double>& logged_out_after,
                  int watched, std::chrono::milliseconds heartbeat_timeout,
                  chaos_report& r) {
  r.silent_clients = watched;
  r.silent_logged_out = static_cast<int>(logged_out_after.size());
  r.heartbeat_timeout_s =
      std::chrono::duration<double>(heartbeat_timeout).count();
  auto limit = r.heartbeat_timeout_s + 1;
  for (auto& [name, after] : logged_out_after) {
    r.silent_slowest_s = std::max(r.silent_slowest_s, after);
    if (after <= limit)
      ++r.silent_in_time;
    else if (heartbeat_timeout.count() > 0 && r.silent_late.size() < 10)
      r.silent_late.push_back(name + " after " + fixed(after) + " s");
  }
  if (heartbeat_timeout.count() > 0 && r.silent_logged_out < watched)
    r.silent_late.push_back(std::to_string(watched - r.silent_logged_out) +
                            " never logged out");
}

steady::duration seconds(double s) {
  return std::chrono::duration_cast<steady::duration>(
      std::chrono::duration<double>(s));
}

} // namespace

const char* to_string(fault_kind k) {
  return kind_names[static_cast<int>(k)];
}

std::vector<fault_kind> all_kinds() {
  return {fault_kind::reset,         fault_kind::fin_mid_frame,
          fault_kind::half_open,     fault_kind::never_read,
          fault_kind::cut_handshake, fault_kind::cut_http};
}

std::vector<fault_kind> parse_kinds(const std::string& list) {
  std::vector<fault_kind> out;
  std::istringstream in{list};
  std::string item;
  while (std::getline(in, item, ',')) {
    bool found = false;
    for (auto k : all_kinds())
      if (item == to_string(k)) {
        out.push_back(k);
        found = true;
      }
    if (!found)
      throw std::invalid_argument("unknown fault kind '" + item + "'");
  }
  if (out.empty())
    throw std::invalid_argument("no fault kinds given");
  return out;
}

chaos_report
run_chaos(const chaos_options& o,
          const std::function<void(const std::string&)>& progress) {
  auto start = steady::now();
  chaos_report r;
  r.seed = o.seed;
  r.rounds = o.rounds;
  std::mt19937_64 rng{o.seed};
  auto tag = std::to_string(o.seed % 1000000);
  auto room = "chaos" + tag;
  auto prefix = "cx" + tag + "-";
  // With node faults the clients use every node but the victim.
  auto servers = o.servers;
  int victim = -1;
  if (o.cluster) {
    victim = o.cluster->size() - 1;
    servers = o.cluster->urls();
    servers.pop_back();
  }
  if (servers.empty())
    throw std::invalid_argument("chaos: no server");
  r.servers = servers;
  r.clients_per_server.resize(servers.size());
  auto server = [&](std::size_t i) {
    ++r.clients_per_server[i % servers.size()];
    return servers[i % servers.size()];
  };

  // Observer i on server i, the talker on the next: a cluster's observers
  // get the talker's messages through other nodes.
  std::vector<std::unique_ptr<observer>> observers;
  for (int i = 0; i < o.observers; ++i) {
    auto s = server(static_cast<std::size_t>(i));
    observers.push_back(std::make_unique<observer>(
        member(s, prefix + "obs" + std::to_string(i), room)));
    r.observer_server.push_back(s.str());
  }
  auto watcher = std::make_unique<ws_client>(servers[0].host, servers[0].port,
                                             "/ws/" + prefix + "watch");
  watcher->expect("welcome", 10s);
  silent_watch watch{std::move(watcher)};
  auto talk_server = server(static_cast<std::size_t>(o.observers));
  r.talker_server = talk_server.str();
  r.sessions_before = sessions(servers) + 1; // + the talker
  talker talk{member(talk_server, prefix + "talk", room), o.talk_rate};
  auto talk_start = steady::now();
  std::optional<node_chaos> nodes;
  if (o.cluster)
    nodes.emplace(*o.cluster, victim, o.duration, progress);
  std::optional<flood> busy;
  if (o.flood.senders > 0 || o.flood.slow_readers > 0)
    busy.emplace(servers, prefix + "flood", prefix, o.flood);

  fault_state st;
  st.watch = &watch;
  for (int i = 0; i < o.silent; ++i)
    go_silent(servers[static_cast<std::size_t>(i) % servers.size()],
              prefix + "silent" + std::to_string(i), 0, st);
  auto last_progress = steady::now() - 1s;
  // The rounds are spread over the duration; the talker talks throughout.
  auto round_period = seconds(o.duration / o.rounds);
  for (int round = 0; round < o.rounds; ++round) {
    std::this_thread::sleep_until(talk_start + round_period * round);
    // A login waits for every node's grant: no client faults while a node
    // fault is not yet detected.
    while (nodes && nodes->unsettled())
      std::this_thread::sleep_for(10ms);
    auto kind = o.kinds[rng() % o.kinds.size()];
    ++r.faults[to_string(kind)];
    try {
      client_fault(kind,
                   servers[static_cast<std::size_t>(round) % servers.size()],
                   prefix + std::to_string(round), rng, st);
    } catch (const std::exception&) {
      ++r.tool_errors;
    }
    if (o.rounds_done)
      o.rounds_done->store(round + 1);
    if (steady::now() - last_progress > 100ms || round + 1 == o.rounds) {
      last_progress = steady::now();
      progress("round " + std::to_string(round + 1) + "/" +
               std::to_string(o.rounds) + "  sent " +
               std::to_string(talk.sent()) + "  held " +
               std::to_string(st.held.size()));
    }
  }
  std::this_thread::sleep_until(talk_start + seconds(o.duration));
  if (nodes)
    nodes->join(); // the last heal may settle after the duration
  r.talk_seconds =
      std::chrono::duration<double>(steady::now() - talk_start).count();
  talk.stop();
  r.messages_sent = talk.count(talk_record::accepted);
  r.messages_refused = talk.count(talk_record::refused);
  r.messages_lost = talk.count(talk_record::pending);
  if (busy) {
    r.flood = busy->stop();
    busy.reset(); // its members leave: the settle below counts on it
  }

  // Every observer must hold every accepted message, in the talker's order;
  // one in flight at an undetected node fault may be missing.
  const auto& records = talk.records();
  auto since_start = [&](steady::time_point t) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f s",
                  std::chrono::duration<double>(t - talk_start).count());
    return std::string{buf};
  };
  for (std::size_t i = 0; i < observers.size(); ++i) {
    auto& obs = *observers[i];
    auto c = check_observer(obs, records, [&](long seq) {
      auto& rec = records[static_cast<std::size_t>(seq)];
      return nodes &&
             nodes->in_fault_window(rec.sent_at, rec.answered_at, obs.resets());
    });
    // Its resets tell whether a loss fell in a room move's gap.
    std::string resets;
    for (auto t : obs.resets())
      resets += (resets.empty() ? "" : ", ") + since_start(t);
    for (auto seq : c.lost_seqs) {
      auto& rec = records[static_cast<std::size_t>(seq)];
      r.lost_samples.push_back(
          "obs" + std::to_string(i) + " #" + std::to_string(seq) + " sent " +
          since_start(rec.sent_at) + " answered " +
          since_start(rec.answered_at) +
          (resets.empty() ? "" : " (its resets at " + resets + ")"));
    }
    r.observer_messages_lost += c.lost;
    r.observer_lost_in_faults += c.lost_excused;
    r.observer_out_of_order += c.out_of_order;
  }
  if (nodes)
    r.node_events = nodes->events();

  // Every faulted session must end (within the server's heartbeat).
  auto settle_deadline = steady::now() + o.settle;
  for (;;) {
    r.sessions_after = sessions(servers);
    if (r.sessions_after <= r.sessions_before ||
        steady::now() > settle_deadline)
      break;
    progress("settling: " + std::to_string(r.sessions_after) +
             " sessions, waiting for " + std::to_string(r.sessions_before));
    std::this_thread::sleep_for(250ms);
  }
  r.sessions_leaked = std::max(0L, r.sessions_after - r.sessions_before);
  judge_silent(watch.stop(2s), static_cast<int>(watch.watched()),
               o.heartbeat_timeout, r);
  st.held.clear();

  // Every freed name logs in again (where it was logged in).
  for (auto& [name, s] : st.logged_in) {
    try {
      ws_client c{s.host, s.port, "/ws/" + name};
      c.expect("welcome");
      c.close();
      ++r.relogin_ok;
    } catch (const std::exception&) {
      ++r.relogin_failed;
    }
  }
  r.seconds = std::chrono::duration<double>(steady::now() - start).count();
  return r;
}

} // namespace bench
