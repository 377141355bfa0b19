#include "fleet.hpp"

#include <deque>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

namespace bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// -- latency_histogram
// ------------------------------------------------------------

void latency_histogram::record(int64_t ns) {
  if (ns < 0)
    ns = 0;
  auto bucket =
      std::min<std::size_t>(static_cast<std::size_t>(ns / 10'000), buckets - 1);
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  auto prev = max_ns_.load(std::memory_order_relaxed);
  while (ns > prev && !max_ns_.compare_exchange_weak(prev, ns))
    ;
}

uint64_t latency_histogram::count() const {
  uint64_t n = 0;
  for (std::size_t i = 0; i < buckets; ++i)
    n += counts_[i].load(std::memory_order_relaxed);
  return n;
}

double latency_histogram::quantile_ms(double q) const {
  auto total = count();
  if (total == 0)
    return 0;
  auto rank = static_cast<uint64_t>(q * static_cast<double>(total - 1)) + 1;
  uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets; ++i) {
    seen += counts_[i].load(std::memory_order_relaxed);
    if (seen >= rank)
      return static_cast<double>(i + 1) * 0.01; // bucket's upper bound
  }
  return max_ms();
}

double latency_histogram::max_ms() const {
  return static_cast<double>(max_ns_.load()) / 1e6;
}

void latency_histogram::reset() {
  for (std::size_t i = 0; i < buckets; ++i)
    counts_[i].store(0, std::memory_order_relaxed);
  max_ns_.store(0);
}

// -- one client
// -------------------------------------------------------------------

namespace {

/// The send time carried in a load message: `msg` starts with "t:<ns>:".
int64_t send_time_of(std::string_view frame) {
  auto at = frame.find("\"msg\":\"t:");
  if (at == std::string_view::npos)
    return -1;
  int64_t ns = 0;
  for (auto i = at + 9; i < frame.size() && frame[i] >= '0' && frame[i] <= '9';
       ++i)
    ns = ns * 10 + (frame[i] - '0');
  return ns;
}

class client : public std::enable_shared_from_this<client> {
public:
  client(asio::io_context& ioc, fleet_stats& stats)
      : ws_(asio::make_strand(ioc)), stats_(stats) {}

  void start(const tcp::endpoint& ep, std::string host, std::string name,
             std::string join_frame, std::function<void(bool)> done) {
    host_ = std::move(host);
    target_ = "/ws/" + name;
    own_join_ = "\"user\":\"" + name + "\"";
    join_ = std::move(join_frame);
    done_ = std::move(done);
    ws_.next_layer().async_connect(
        ep, [self = shared_from_this()](beast::error_code ec) {
          self->on_connect(ec);
        });
  }

  void send(std::string text) {
    asio::post(ws_.get_executor(),
               [self = shared_from_this(), t = std::move(text)]() mutable {
                 self->queue_.push_back(std::move(t));
                 if (self->queue_.size() == 1)
                   self->write_next();
               });
  }

  void close() {
    asio::post(ws_.get_executor(), [self = shared_from_this()] {
      beast::error_code ignored;
      self->ws_.next_layer().close(ignored);
    });
  }

private:
  void on_connect(beast::error_code ec) {
    if (ec)
      return finish(false);
    ws_.next_layer().set_option(tcp::no_delay(true));
    ws_.async_handshake(host_, target_,
                        [self = shared_from_this()](beast::error_code ec) {
                          if (ec)
                            return self->finish(false);
                          // The join goes out at once, not after the
                          // welcome: the session takes it right after the
                          // login, so the client spends no round trip in
                          // the lobby, where every login is announced to
                          // every member and listed in every welcome.
                          if (!self->join_.empty())
                            self->send(self->join_);
                          self->read();
                        });
  }

  void finish(bool ok) {
    if (!done_)
      return;
    auto done = std::move(done_);
    done_ = nullptr;
    done(ok);
  }

  void read() {
    ws_.async_read(
        buf_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
          self->on_read(ec);
        });
  }

  void on_read(beast::error_code ec) {
    if (ec) {
      finish(false);
      stats_.closed.fetch_add(1);
      return;
    }
    auto data = buf_.cdata();
    std::string_view frame{static_cast<const char*>(data.data()), data.size()};
    if (frame.find("\"type\":\"message\"") != std::string_view::npos) {
      stats_.deliveries.fetch_add(1, std::memory_order_relaxed);
      if (auto sent = send_time_of(frame); sent >= 0)
        stats_.latency.record(fleet::now_ns() - sent);
    } else if (frame.find("\"type\":\"welcome\"") != std::string_view::npos) {
      if (join_.empty())
        finish(true);
    } else if (frame.find("\"type\":\"presence\"") != std::string_view::npos &&
               !join_.empty() && done_ &&
               frame.find(own_join_) != std::string_view::npos) {
      finish(true); // our own join ack
    } else if (frame.find("\"type\":\"error\"") != std::string_view::npos) {
      stats_.errors.fetch_add(1, std::memory_order_relaxed);
      finish(false);
    }
    buf_.consume(buf_.size());
    read();
  }

  void write_next() {
    ws_.async_write(
        asio::buffer(queue_.front()),
        [self = shared_from_this()](beast::error_code ec, std::size_t) {
          self->queue_.pop_front();
          if (!ec && !self->queue_.empty())
            self->write_next();
          else if (ec)
            self->queue_.clear();
        });
  }

  websocket::stream<tcp::socket> ws_;
  beast::flat_buffer buf_;
  std::deque<std::string> queue_;
  fleet_stats& stats_;
  std::string host_, target_, join_, own_join_;
  std::function<void(bool)> done_;
};

} // namespace

// -- fleet
// ------------------------------------------------------------------------

struct fleet::impl {
  asio::io_context ioc;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>>
      work{ioc.get_executor()};
  std::vector<std::thread> threads;
  std::vector<std::shared_ptr<client>> clients;
  fleet_stats stats;
  std::vector<server_url> servers;
  std::vector<tcp::endpoint> endpoints;               // one per server
  std::unique_ptr<std::atomic<uint64_t>[]> connected; // per server
  std::string prefix;
  int rooms;
};

fleet::fleet(std::vector<server_url> servers, std::string prefix, int rooms,
             int threads)
    : impl_(std::make_unique<impl>()) {
  auto& d = *impl_;
  if (servers.empty())
    throw std::invalid_argument("fleet: no server");
  d.servers = std::move(servers);
  d.prefix = std::move(prefix);
  d.rooms = std::max(1, rooms);
  d.connected.reset(new std::atomic<uint64_t>[d.servers.size()]());
  tcp::resolver resolver{d.ioc};
  for (auto& s : d.servers)
    d.endpoints.push_back(
        *resolver.resolve(s.host, std::to_string(s.port)).begin());
  for (int i = 0; i < threads; ++i)
    d.threads.emplace_back([&d] { d.ioc.run(); });
}

fleet::~fleet() {
  stop();
}

void fleet::connect(int count, double per_second,
                    std::chrono::seconds timeout) {
  auto& d = *impl_;
  auto finished = std::make_shared<std::atomic<int>>(0);
  auto start = std::chrono::steady_clock::now();
  auto first = static_cast<int>(d.clients.size());
  for (int i = first; i < first + count; ++i) {
    auto due =
        start + std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::duration<double>((i - first) / per_second));
    std::this_thread::sleep_until(due);
    auto c = std::make_shared<client>(d.ioc, d.stats);
    d.clients.push_back(c);
    auto room = room_of(i);
    std::string join = room == 0 ? std::string{}
                                 : R"({"type":"join","room":"r)" +
                                       std::to_string(room) + "\"}";
    auto s = static_cast<std::size_t>(server_of(i));
    c->start(d.endpoints[s],
             d.servers[s].host + ":" + std::to_string(d.servers[s].port),
             name_of(i), join, [&d, finished, s](bool ok) {
               (ok ? d.stats.connected : d.stats.connect_failures).fetch_add(1);
               if (ok)
                 d.connected[s].fetch_add(1);
               finished->fetch_add(1);
             });
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (finished->load() < count &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
}

void fleet::send(int index, std::string text) {
  impl_->clients[static_cast<std::size_t>(index)]->send(std::move(text));
}

void fleet::stop() {
  auto& d = *impl_;
  if (!d.work)
    return;
  for (auto& c : d.clients)
    c->close();
  d.work.reset();
  for (auto& t : d.threads)
    t.join();
  d.threads.clear();
  d.clients.clear();
}

int fleet::size() const {
  return static_cast<int>(impl_->clients.size());
}

int fleet::room_of(int index) const {
  return index % impl_->rooms;
}

int fleet::server_of(int index) const {
  // Round-robin within each room (client i is in room i % rooms), so every
  // room has members on every server.
  return (index / impl_->rooms) % static_cast<int>(impl_->servers.size());
}

std::vector<uint64_t> fleet::connected_per_server() const {
  std::vector<uint64_t> out;
  for (std::size_t i = 0; i < impl_->servers.size(); ++i)
    out.push_back(impl_->connected[i].load());
  return out;
}

std::string fleet::name_of(int index) const {
  return impl_->prefix + std::to_string(index);
}

fleet_stats& fleet::stats() {
  return impl_->stats;
}

int64_t fleet::now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

} // namespace bench
