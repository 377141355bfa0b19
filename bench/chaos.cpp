#include "chaos.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "chaos_talker.hpp"
#include "raw_socket.hpp"
#include "server_metrics.hpp"
#include "ws_client.hpp"

namespace bench {

using namespace std::chrono_literals;
using client::ws_client;
using nlohmann::json;
using steady = std::chrono::steady_clock;

namespace {

constexpr const char* kind_names[] = {"reset",         "fin_mid_frame",
                                      "half_open",     "never_read",
                                      "cut_handshake", "cut_http"};

/// Logs `name` in, joins `room` and waits for the join ack.
std::unique_ptr<ws_client> member(const chaos_options& o,
                                  const std::string& name,
                                  const std::string& room) {
  auto c = std::make_unique<ws_client>(o.host, o.port, "/ws/" + name);
  c->expect("welcome");
  c->send_json({{"type", "join"}, {"room", room}});
  for (;;) {
    auto f = c->expect("presence");
    if (f["user"] == name && f["room"] == room)
      return c;
  }
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

  std::vector<std::unique_ptr<ws_client>> observers;
  for (int i = 0; i < o.observers; ++i)
    observers.push_back(member(o, prefix + "obs" + std::to_string(i), room));
  r.sessions_before = static_cast<long>(
      server_metric(o.host, o.port, "chat_sessions") + 1); // + the talker
  talker talk{member(o, prefix + "talk", room), o.talk_rate};
  auto talk_start = steady::now();

  std::vector<std::string> logged_in; // names to log in again
  std::vector<std::unique_ptr<client::raw_socket>> held; // silent peers
  auto last_progress = steady::now() - 1s;
  // The rounds are spread over the duration; the talker talks throughout.
  auto rounds_start = steady::now();
  auto round_period = std::chrono::duration<double>(o.duration / o.rounds);
  for (int round = 0; round < o.rounds; ++round) {
    std::this_thread::sleep_until(
        rounds_start +
        std::chrono::duration_cast<steady::duration>(round_period * round));
    auto kind = o.kinds[rng() % o.kinds.size()];
    ++r.faults[to_string(kind)];
    auto name = prefix + std::to_string(round);
    try {
      switch (kind) {
      case fault_kind::reset: {
        ws_client c{o.host, o.port, "/ws/" + name};
        c.expect("welcome");
        c.reset();
        logged_in.push_back(name);
        break;
      }
      case fault_kind::fin_mid_frame: {
        client::raw_socket s{o.host, o.port};
        s.upgrade("/ws/" + name);
        auto frame =
            client::ws_frame(client::op_text, R"({"type":"say","msg":"cut"})");
        s.send(frame.substr(0, 1 + rng() % (frame.size() - 1)));
        s.shutdown_write();
        logged_in.push_back(name);
        break;
      }
      case fault_kind::half_open:
      case fault_kind::never_read: {
        auto s = std::make_unique<client::raw_socket>(
            o.host, o.port, kind == fault_kind::never_read ? 2048 : 0);
        s->upgrade("/ws/" + name);
        held.push_back(std::move(s));
        logged_in.push_back(name);
        break;
      }
      case fault_kind::cut_handshake: {
        client::raw_socket s{o.host, o.port};
        std::string req =
            "GET /ws/" + name +
            " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n";
        s.send(req.substr(0, 1 + rng() % (req.size() - 1)));
        s.reset();
        break;
      }
      case fault_kind::cut_http: {
        client::raw_socket s{o.host, o.port};
        std::string req = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
        s.send(req.substr(0, 1 + rng() % (req.size() - 1)));
        s.shutdown_write();
        break;
      }
      }
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
               std::to_string(held.size()));
    }
  }
  std::this_thread::sleep_until(rounds_start +
                                std::chrono::duration_cast<steady::duration>(
                                    std::chrono::duration<double>(o.duration)));
  r.talk_seconds =
      std::chrono::duration<double>(steady::now() - talk_start).count();
  talk.stop();
  r.messages_sent = talk.count(talk_record::accepted);
  r.messages_refused = talk.count(talk_record::refused);
  r.messages_lost = talk.count(talk_record::pending);

  // Every observer must hold every accepted message, in the talker's order.
  for (auto& obs : observers) {
    auto c = check_observer(*obs, talk.records(), [](long) { return false; });
    r.observer_messages_lost += c.lost;
    r.observer_out_of_order += c.out_of_order;
  }

  // Every faulted session must end (within the server's heartbeat).
  auto settle_deadline = steady::now() + o.settle;
  for (;;) {
    r.sessions_after =
        static_cast<long>(server_metric(o.host, o.port, "chat_sessions"));
    if (r.sessions_after <= r.sessions_before ||
        steady::now() > settle_deadline)
      break;
    progress("settling: " + std::to_string(r.sessions_after) +
             " sessions, waiting for " + std::to_string(r.sessions_before));
    std::this_thread::sleep_for(250ms);
  }
  r.sessions_leaked = std::max(0L, r.sessions_after - r.sessions_before);
  held.clear();

  // Every freed name logs in again.
  for (auto& name : logged_in) {
    try {
      ws_client c{o.host, o.port, "/ws/" + name};
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

std::string to_json(const chaos_report& r) {
  json j{{"mode", "chaos"},
         {"seed", r.seed},
         {"rounds", r.rounds},
         {"faults", r.faults},
         {"tool_errors", r.tool_errors},
         {"messages_sent", r.messages_sent},
         {"messages_refused", r.messages_refused},
         {"messages_lost", r.messages_lost},
         {"talk_seconds", r.talk_seconds},
         {"observer_messages_lost", r.observer_messages_lost},
         {"observer_out_of_order", r.observer_out_of_order},
         {"sessions_before", r.sessions_before},
         {"sessions_after", r.sessions_after},
         {"sessions_leaked", r.sessions_leaked},
         {"relogin_ok", r.relogin_ok},
         {"relogin_failed", r.relogin_failed},
         {"seconds", r.seconds}};
  return j.dump(2);
}

std::string to_text(const chaos_report& r) {
  std::ostringstream out;
  out << "chaos: " << r.rounds << " rounds in " << r.seconds << " s (seed "
      << r.seed << ")\n  faults:";
  for (auto& [kind, n] : r.faults)
    out << ' ' << kind << '=' << n;
  out << "\n  talker messages accepted " << r.messages_sent << ", refused "
      << r.messages_refused << ", lost " << r.messages_lost << " in "
      << r.talk_seconds << " s\n  observer messages lost "
      << r.observer_messages_lost << ", out of order "
      << r.observer_out_of_order << "\n  sessions before " << r.sessions_before
      << ", after " << r.sessions_after << ", leaked " << r.sessions_leaked
      << "\n  names logged in again " << r.relogin_ok << ", failed "
      << r.relogin_failed << "\n  tool errors " << r.tool_errors << '\n';
  return out.str();
}

} // namespace bench
