#include "ws_client.hpp"

#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

struct ws_client::impl {
  asio::io_context ioc;
  websocket::stream<tcp::socket> ws{ioc};
  beast::flat_buffer buffer;
  std::thread io_thread;

  mutable std::mutex mtx;
  std::condition_variable cv;
  std::deque<std::string> frames;
  bool closed = false;
  close_info close;

  void read_loop() {
    ws.async_read(buffer, [this](beast::error_code ec, std::size_t) {
      std::lock_guard<std::mutex> guard{mtx};
      if (ec) {
        closed = true;
        close.code = ws.reason().code;
        close.reason = std::string{ws.reason().reason.c_str()};
        cv.notify_all();
        return;
      }
      frames.push_back(beast::buffers_to_string(buffer.data()));
      buffer.consume(buffer.size());
      cv.notify_all();
      read_loop();
    });
  }

  /// Runs `op(done)` on the I/O thread and waits for `done(ec)`.
  template <class Op> beast::error_code run(Op op) {
    std::promise<beast::error_code> done;
    auto result = done.get_future();
    asio::post(ioc, [&] {
      op([&done](beast::error_code ec, auto&&...) { done.set_value(ec); });
    });
    if (result.wait_for(10s) != std::future_status::ready)
      throw std::runtime_error("websocket operation timed out");
    return result.get();
  }
};

namespace {

tcp::endpoint endpoint_of(asio::io_context& ioc, const std::string& host,
                          uint16_t port) {
  tcp::resolver resolver{ioc};
  auto results = resolver.resolve(host, std::to_string(port));
  return *results.begin();
}

} // namespace

ws_client::ws_client(const std::string& host, uint16_t port,
                     const std::string& target)
    : impl_(std::make_unique<impl>()) {
  auto& d = *impl_;
  d.ws.next_layer().connect(endpoint_of(d.ioc, host, port));
  d.ws.read_message_max(0); // the client side reads anything
  beast::error_code ec;
  d.ws.handshake(host + ":" + std::to_string(port), target, ec);
  if (ec)
    throw std::runtime_error("websocket upgrade failed: " + ec.message());
  d.read_loop();
  d.io_thread = std::thread{[&d] { d.ioc.run(); }};
}

ws_client::~ws_client() {
  auto& d = *impl_;
  asio::post(d.ioc, [&d] {
    beast::error_code ignored;
    d.ws.next_layer().close(ignored);
  });
  d.io_thread.join();
}

void ws_client::send_frame(const std::string& payload, bool text) {
  auto& d = *impl_;
  auto ec = d.run([&](auto done) {
    d.ws.text(text);
    d.ws.async_write(asio::buffer(payload), done);
  });
  if (ec)
    throw std::runtime_error("send failed: " + ec.message());
}

std::optional<json> ws_client::recv(std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  std::unique_lock<std::mutex> lock{d.mtx};
  if (!d.cv.wait_for(lock, timeout,
                     [&] { return !d.frames.empty() || d.closed; }) ||
      d.frames.empty())
    return std::nullopt;
  auto text = std::move(d.frames.front());
  d.frames.pop_front();
  return json::parse(text);
}

json ws_client::expect(const std::string& type,
                       std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto frame = recv(std::max(left, std::chrono::milliseconds{0}));
    if (!frame)
      throw std::runtime_error("no '" + type + "' frame arrived");
    if (frame->value("type", "") == type)
      return *frame;
  }
}

std::optional<close_info>
ws_client::wait_close(std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  std::unique_lock<std::mutex> lock{d.mtx};
  if (!d.cv.wait_for(lock, timeout, [&] { return d.closed; }))
    return std::nullopt;
  return d.close;
}

std::size_t ws_client::pending() const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  return impl_->frames.size();
}

void ws_client::close() {
  auto& d = *impl_;
  d.run([&](auto done) {
    d.ws.async_close(websocket::close_code::normal, done);
  });
}

void ws_client::reset() {
  auto& d = *impl_;
  d.run([&](auto done) {
    beast::error_code ec;
    d.ws.next_layer().set_option(asio::socket_base::linger(true, 0), ec);
    d.ws.next_layer().close(ec);
    done(ec);
  });
}

http_reply http_get(const std::string& host, uint16_t port,
                    const std::string& target, const std::string& method) {
  asio::io_context ioc;
  tcp::socket socket{ioc};
  socket.connect(endpoint_of(ioc, host, port));
  http::request<http::empty_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, host);
  req.set(http::field::connection, "close");
  http::write(socket, req);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.skip(method == "HEAD");
  http::read(socket, buffer, parser);
  auto res = parser.release();
  return {static_cast<int>(res.result_int()),
          std::string{res[http::field::content_type]},
          std::string{res["Content-Security-Policy"]}, res.body()};
}

} // namespace client
