// Actor tests without sockets: a real actor system, the real registry, and
// fake connections that record what a session sends.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "actors/context.hpp"
#include "actors/protocol.hpp"
#include "actors/registry.hpp"
#include "actors/session.hpp"

namespace test {

using namespace std::chrono_literals;
using json = nlohmann::json;

/// Records the frames and the close a session sends to its connection.
class fake_connection : public chat::outbound {
public:
  bool send(chat::frame f) override {
    std::lock_guard<std::mutex> guard{mtx_};
    frames_.push_back(json::parse(f.str()));
    cv_.notify_all();
    return true;
  }
  void consumed(std::size_t) override {}
  void close(uint16_t code, std::string reason,
             chat::disconnect_reason) override {
    std::lock_guard<std::mutex> guard{mtx_};
    close_code_ = code;
    close_reason_ = std::move(reason);
    cv_.notify_all();
  }
  /// The next frame of `type`, skipping others; fails the test on timeout.
  json expect(const std::string& type, std::chrono::milliseconds t = 3s) {
    std::unique_lock<std::mutex> lock{mtx_};
    for (;;) {
      if (!cv_.wait_for(lock, t, [&] { return !frames_.empty(); }))
        FAIL("no '" << type << "' frame arrived");
      auto f = std::move(frames_.front());
      frames_.pop_front();
      if (f.value("type", "") == type)
        return f;
    }
  }
  std::optional<json> next(std::chrono::milliseconds t = 200ms) {
    std::unique_lock<std::mutex> lock{mtx_};
    if (!cv_.wait_for(lock, t, [&] { return !frames_.empty(); }))
      return std::nullopt;
    auto f = std::move(frames_.front());
    frames_.pop_front();
    return f;
  }
  std::optional<uint16_t> wait_close(std::chrono::milliseconds t = 3s) {
    std::unique_lock<std::mutex> lock{mtx_};
    cv_.wait_for(lock, t, [&] { return close_code_.has_value(); });
    return close_code_;
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<json> frames_;
  std::optional<uint16_t> close_code_;
  std::string close_reason_;
};

struct actor_fixture {
  chat::context ctx;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  chat::registry_actor registry;

  actor_fixture() {
    ctx.lim.rate_per_second = 1e6;
    ctx.lim.rate_burst = 1e6;
    cfg.set("scheduler.max-threads", 2);
    sys = std::make_unique<caf::actor_system>(cfg);
    registry = chat::spawn_registry(*sys, ctx);
  }

  ~actor_fixture() {
    caf::anon_send_exit(registry, caf::exit_reason::user_shutdown);
    registry = nullptr;
    sys->await_all_actors_done();
  }

  /// A session on a fake connection; the connection must outlive the test.
  struct client {
    std::shared_ptr<fake_connection> conn;
    chat::session_actor session;

    void say_json(const json& j) {
      caf::anon_send(session, chat::ws_text_atom::value, j.dump(), int64_t{0});
    }
    void drop() {
      caf::anon_send(session, chat::ws_down_atom::value, std::string{"reset"});
    }
  };

  client connect(const std::string& user) {
    auto conn = std::make_shared<fake_connection>();
    auto s = chat::spawn_session(*sys, registry, conn, user, ctx);
    return {conn, s};
  }

  /// A session past its welcome, which peers can find (the registry hears
  /// `ready` from the room right after the welcome was queued).
  client login(const std::string& user) {
    auto c = connect(user);
    c.conn->expect("welcome");
    caf::scoped_actor self{*sys};
    bool found = false;
    for (int i = 0; i < 200 && !found; ++i) {
      self->request(registry, 1s, chat::lookup_atom::value, user)
          .receive([&](chat::session_actor&, chat::connection_ref&,
                       chat::registry_peer_actor&) { found = true; },
                   [](caf::error&) {});
      if (!found)
        std::this_thread::sleep_for(5ms);
    }
    if (!found)
      FAIL("the registry never found '" << user << "' after its welcome");
    return c;
  }
};

} // namespace test
