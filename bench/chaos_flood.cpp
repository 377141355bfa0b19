#include "chaos_flood.hpp"

#include <chrono>

#include "slow_reader.hpp"
#include "ws_client.hpp"

namespace bench {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

struct flood::members {
  std::vector<std::unique_ptr<client::ws_client>> senders;
  std::vector<std::unique_ptr<client::slow_reader>> readers;
};

flood::flood(const std::vector<server_url>& servers, const std::string& room,
             const std::string& prefix, const flood_options& opts)
    : m_(std::make_unique<members>()), opts_(opts) {
  const auto join = client::json{{"type", "join"}, {"room", room}}.dump();
  for (int i = 0; i < opts.senders; ++i) {
    auto& s = servers[static_cast<std::size_t>(i) % servers.size()];
    auto c = std::make_unique<client::ws_client>(
        s.host, s.port, "/ws/" + prefix + "flood" + std::to_string(i));
    c->expect("welcome", 10s);
    c->send_text(join);
    m_->senders.push_back(std::move(c));
  }
  for (int i = 0; i < opts.slow_readers; ++i) {
    auto& s = servers[static_cast<std::size_t>(i) % servers.size()];
    auto r = std::make_unique<client::slow_reader>(
        s.host, s.port, prefix + "slow" + std::to_string(i));
    r->send_text(join);
    m_->readers.push_back(std::move(r));
  }
  if (opts.senders > 0)
    sender_ = std::thread{[this] { send_loop(); }};
  if (opts.slow_readers > 0)
    reader_ = std::thread{[this] { read_loop(); }};
}

flood::~flood() {
  halt();
}

void flood::halt() {
  stop_ = true;
  if (sender_.joinable())
    sender_.join();
  if (reader_.joinable())
    reader_.join();
}

flood_report flood::stop() {
  halt();
  flood_report r;
  r.sent = sent_;
  r.refused = refused_;
  for (auto& reader : m_->readers) {
    // One the server closed has its close frame behind what it could not
    // read: read the rest at full speed.
    bool ended = reader->close() != 0 || reader->drain(1s);
    ++r.slow_readers[reader->close() ? std::to_string(reader->close())
                     : ended         ? "closed"
                                     : "open"];
  }
  return r;
}

void flood::send_loop() {
  const auto text = client::json{{"msg", std::string(opts_.bytes, 'f')}}.dump();
  auto period = std::chrono::duration_cast<steady::duration>(
      std::chrono::duration<double>(1.0 / opts_.rate));
  auto next = steady::now();
  while (!stop_) {
    for (auto& s : m_->senders) {
      try {
        s->send_text(text);
        ++sent_;
      } catch (const std::exception&) {
      }
      // Each sender is a member of the room too: take what arrived.
      while (auto f = s->recv(0ms))
        if (f->value("type", "") == "error")
          ++refused_;
    }
    next += period;
    std::this_thread::sleep_until(next);
  }
}

void flood::read_loop() {
  while (!stop_)
    for (auto& r : m_->readers) {
      if (r->close() == 0)
        r->read_some();
      std::this_thread::sleep_for(100ms / m_->readers.size());
    }
}

} // namespace bench
