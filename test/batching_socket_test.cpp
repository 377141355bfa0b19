// The layer under the server's WebSocket stream (net/batching_socket.hpp),
// over a real loopback TCP connection with a Beast client on the other end:
// the client is the judge of whether the byte stream is well-formed.
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <catch2/catch.hpp>

#include "net/batching_socket.hpp"

namespace {

using chat::net::batching_socket;

/// A server stream and a client stream joined by a loopback TCP connection
/// with small kernel buffers, the server side driven by one I/O thread.
struct socket_pair {
  asio::io_context ioc;
  asio::executor_work_guard<asio::io_context::executor_type> guard{
      ioc.get_executor()};
  std::shared_ptr<int> owner = std::make_shared<int>(0);
  std::unique_ptr<websocket::stream<batching_socket>> server;
  std::unique_ptr<websocket::stream<tcp::socket>> client;
  beast::flat_buffer server_buffer;
  std::promise<beast::error_code> server_read_end;
  std::thread io;

  socket_pair() {
    tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    tcp::socket client_socket(ioc);
    client_socket.connect(acceptor.local_endpoint());
    tcp::socket server_socket = acceptor.accept();
    // Small buffers: a backlog builds up after a few kilobytes.
    server_socket.set_option(asio::socket_base::send_buffer_size(4096));
    client_socket.set_option(asio::socket_base::receive_buffer_size(4096));
    server = std::make_unique<websocket::stream<batching_socket>>(
        std::move(server_socket));
    server->next_layer().set_owner(owner);
    client = std::make_unique<websocket::stream<tcp::socket>>(
        std::move(client_socket));
    io = std::thread([this] { ioc.run(); });

    std::promise<beast::error_code> accepted;
    on_server([&] {
      server->async_accept(
          [&](beast::error_code ec) { accepted.set_value(ec); });
    });
    client->handshake("127.0.0.1", "/");
    REQUIRE_FALSE(accepted.get_future().get());
    // The server keeps reading, which is what answers pings and closes.
    on_server([this] { read_on_server(); });
  }

  ~socket_pair() {
    guard.reset();
    ioc.stop();
    io.join();
  }

  /// Runs `f` on the server's I/O thread and waits for it.
  template <class F> auto on_server(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    asio::post(ioc, [&task] { task(); });
    return result.get();
  }

  void read_on_server() {
    server->async_read(server_buffer,
                       [this](beast::error_code ec, std::size_t) {
                         if (ec) {
                           server_read_end.set_value(ec);
                           return;
                         }
                         server_buffer.consume(server_buffer.size());
                         read_on_server();
                       });
  }

  /// Queues each payload as one frame, as ws_connection does.
  uint64_t queue_on_server(const std::vector<std::string>& payloads) {
    return on_server([&] {
      for (const auto& p : payloads) {
        server->next_layer().append_text_frame(p);
        server->next_layer().flush();
      }
      return server->next_layer().writes();
    });
  }

  std::string read_on_client() {
    beast::flat_buffer buffer;
    client->read(buffer);
    return beast::buffers_to_string(buffer.data());
  }
};

/// Payloads around every boundary of the frame header's length field
/// (7 bits, 16 bits, 64 bits), then many small ones.
std::vector<std::string> test_payloads(int small_ones) {
  std::vector<std::string> out;
  for (std::size_t size : {0, 1, 125, 126, 127, 65535, 65536, 100000})
    out.push_back(std::string(size, 'a' + static_cast<char>(out.size())));
  for (int i = 0; i < small_ones; ++i)
    out.push_back("{\"type\":\"message\",\"id\":" + std::to_string(i) +
                  ",\"msg\":\"" + std::string(80, 'x') + "\"}");
  return out;
}

} // namespace

TEST_CASE("batching socket: a backlog behind a full kernel buffer reaches a "
          "Beast client whole and in order, in few writes, with the pong "
          "between whole frames",
          "[net][batching]") {
  socket_pair pair;
  auto payloads = test_payloads(3000);
  // The client does not read yet: the kernel fills and the rest queues.
  auto writes_while_queueing = pair.queue_on_server(payloads);
  CHECK(writes_while_queueing < payloads.size() / 2);

  // A ping from the client: Beast's pong goes through the same layer, behind
  // everything queued; a frame queued after it must come after it.
  std::vector<std::string> seen;
  pair.client->control_callback(
      [&](websocket::frame_type kind, beast::string_view payload) {
        if (kind == websocket::frame_type::pong)
          seen.push_back("pong:" + std::string(payload));
      });
  pair.server->control_callback(
      [&](websocket::frame_type kind, beast::string_view) {
        if (kind == websocket::frame_type::ping)
          asio::post(pair.ioc, [&] {
            pair.server->next_layer().append_text_frame("last");
            pair.server->next_layer().flush();
          });
      });
  pair.client->ping("are you there");

  for (;;) {
    seen.push_back(pair.read_on_client());
    if (seen.back() == "last")
      break;
  }
  REQUIRE(seen.size() == payloads.size() + 2);
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    INFO("frame " << i);
    REQUIRE(seen[i] == payloads[i]);
  }
  CHECK(seen[payloads.size()] == "pong:are you there");

  auto writes =
      pair.on_server([&] { return pair.server->next_layer().writes(); });
  INFO(writes << " writes for " << seen.size() << " frames");
  CHECK(writes < payloads.size() / 4); // several frames per write
  CHECK(pair.on_server(
            [&] { return pair.server->next_layer().backlog_bytes(); }) == 0);

  // The client closes: Beast answers and tears down through the layer.
  pair.client->close(websocket::close_code::normal);
  CHECK(pair.server_read_end.get_future().get() == websocket::error::closed);
}

TEST_CASE("batching socket: a close frame follows the queued frames, and the "
          "socket is shut down only after they have all left",
          "[net][batching]") {
  socket_pair pair;
  auto payloads = test_payloads(2000);
  pair.queue_on_server(payloads);
  CHECK(pair.on_server(
            [&] { return pair.server->next_layer().backlog_bytes(); }) > 0);
  pair.on_server([&] {
    pair.server->async_close(
        websocket::close_reason{websocket::close_code::going_away, "bye"},
        [](beast::error_code) {});
  });
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    INFO("frame " << i);
    REQUIRE(pair.read_on_client() == payloads[i]);
  }
  beast::flat_buffer buffer;
  beast::error_code ec;
  pair.client->read(buffer, ec);
  CHECK(ec == websocket::error::closed);
  CHECK(pair.client->reason().code == websocket::close_code::going_away);
  CHECK(std::string(pair.client->reason().reason.c_str()) == "bye");
}

TEST_CASE("batching socket: after the peer resets, queued frames are dropped "
          "and later ones are refused, without blocking",
          "[net][batching]") {
  socket_pair pair;
  pair.queue_on_server(test_payloads(2000));
  // Abrupt close: RST instead of FIN.
  pair.client->next_layer().set_option(asio::socket_base::linger(true, 0));
  pair.client->next_layer().close();
  CHECK(pair.server_read_end.get_future().get());
  // The pending wait fails, or the next write does: either way nothing stays.
  auto backlog = [&] {
    return pair.on_server([&] {
      pair.server->next_layer().append_text_frame("after the reset");
      pair.server->next_layer().flush();
      return pair.server->next_layer().backlog_bytes();
    });
  };
  for (int i = 0; i < 50 && backlog() != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(backlog() == 0);
}

TEST_CASE("batching socket: a client's close that arrives behind a backlog "
          "is answered after the backlog, then the socket shuts down",
          "[net][batching]") {
  socket_pair pair;
  pair.queue_on_server(test_payloads(2000));
  CHECK(pair.on_server(
            [&] { return pair.server->next_layer().backlog_bytes(); }) > 0);
  // Beast's close sends the close frame, then reads (and discards) the
  // backlog until the server's answer arrives.
  beast::error_code ec;
  pair.client->close(websocket::close_code::normal, ec);
  CHECK_FALSE(ec);
  CHECK(pair.server_read_end.get_future().get() == websocket::error::closed);
}
