// The socket under the server's WebSocket connections
// (net/batching_socket.hpp), over a real loopback TCP connection with a Beast
// client on the other end: the client is the judge of whether the byte
// stream (the 101 response of net/ws_upgrade.hpp included) is well-formed.
// The write batch of an I/O thread: write_batch_test.cpp.
#include <atomic>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <catch2/catch.hpp>

#include "net/batching_socket.hpp"
#include "net/beast.hpp"
#include "net/write_batch.hpp"
#include "net/ws_frame.hpp"
#include "net/ws_upgrade.hpp"
#include "run_on.hpp"

namespace {

using chat::net::batching_socket;
namespace ws_frame = chat::net::ws_frame;

using test::run_on;

/// A server socket and a Beast client joined by a loopback TCP connection
/// with small kernel buffers, the server side driven by one I/O thread.
struct socket_pair {
  asio::io_context ioc;
  asio::executor_work_guard<asio::io_context::executor_type> guard{
      ioc.get_executor()};
  std::shared_ptr<int> owner = std::make_shared<int>(0);
  std::unique_ptr<batching_socket> server;
  std::unique_ptr<websocket::stream<tcp::socket>> client;
  std::thread io;

  socket_pair() {
    tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    tcp::socket client_socket(ioc);
    client_socket.connect(acceptor.local_endpoint());
    tcp::socket server_socket = acceptor.accept();
    // Small buffers: a backlog builds up after some 100 KiB. (A smaller
    // receive buffer makes the client's window updates, and so the tests,
    // slow: tens of milliseconds per window.)
    server_socket.set_option(asio::socket_base::send_buffer_size(4096));
    server_socket.set_option(tcp::no_delay(true)); // as the server does
    client_socket.set_option(asio::socket_base::receive_buffer_size(65536));
    client = std::make_unique<websocket::stream<tcp::socket>>(
        std::move(client_socket));

    // The upgrade: the client's request is read here, the 101 response
    // goes through the batching socket like every later byte.
    auto handshake = std::async(std::launch::async, [this] {
      client->handshake("127.0.0.1", "/ws/test");
    });
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    http::read(server_socket, buffer, req);
    REQUIRE(buffer.size() == 0);
    server = std::make_unique<batching_socket>(std::move(server_socket));
    server->set_owner(owner);
    server->send_raw(
        chat::net::switching_protocols(req[http::field::sec_websocket_key]));
    handshake.get(); // throws if Beast rejects the response
    io = std::thread([this] { ioc.run(); });
  }

  ~socket_pair() {
    guard.reset();
    ioc.stop();
    io.join();
  }

  /// Runs `f` on the server's I/O thread and waits for it.
  template <class F> auto on_server(F f) { return run_on(ioc, std::move(f)); }

  /// Sends each payload as one text frame, as ws_connection does.
  uint64_t send_on_server(const std::vector<std::string>& payloads) {
    return on_server([&] {
      for (const auto& p : payloads)
        server->send_frame(ws_frame::op_text, p);
      return server->writes();
    });
  }

  std::size_t backlog() {
    return on_server([&] { return server->backlog_bytes(); });
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
          "Beast client whole and in order, in few writes, with a control "
          "frame between whole frames",
          "[net][batching]") {
  socket_pair pair;
  auto payloads = test_payloads(3000);
  // The client does not read yet: the kernel fills and the rest queues.
  auto writes_while_queueing = pair.send_on_server(payloads);
  CHECK(writes_while_queueing < payloads.size() / 2);
  CHECK(pair.backlog() > 0);
  pair.on_server([&] {
    pair.server->send_frame(ws_frame::op_pong, "are you there");
    pair.server->send_frame(ws_frame::op_text, "last");
  });

  std::vector<std::string> seen;
  pair.client->control_callback(
      [&](websocket::frame_type kind, beast::string_view payload) {
        if (kind == websocket::frame_type::pong)
          seen.push_back("pong:" + std::string(payload));
      });
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

  auto writes = pair.on_server([&] { return pair.server->writes(); });
  INFO(writes << " writes for " << seen.size() << " frames");
  CHECK(writes < payloads.size() / 4); // several frames per write
  CHECK(pair.backlog() == 0);
}

TEST_CASE("batching socket: a frame that finds nothing queued leaves in one "
          "write of its own",
          "[net][batching]") {
  socket_pair pair;
  auto before = pair.on_server([&] { return pair.server->writes(); });
  pair.send_on_server({"one", std::string(300, 'x')});
  CHECK(pair.read_on_client() == "one");
  CHECK(pair.read_on_client() == std::string(300, 'x'));
  CHECK(pair.on_server([&] { return pair.server->writes(); }) - before == 2);
  CHECK(pair.backlog() == 0);
}

TEST_CASE("batching socket: dropping the queue keeps the rest of a frame "
          "the kernel took part of, so the stream stays well-formed",
          "[net][batching]") {
  socket_pair pair;
  const std::string big(1000000, 'b'); // more than the kernel takes at once
  pair.on_server([&] {
    pair.server->send_frame(ws_frame::op_text, big);
    pair.server->send_frame(ws_frame::op_text, "dropped");
    pair.server->discard_queued();
    pair.server->send_frame(ws_frame::op_text, "kept");
  });
  CHECK(pair.read_on_client() == big);
  CHECK(pair.read_on_client() == "kept");
}

TEST_CASE("batching socket: when_drained runs only after the queued frames "
          "and the close frame behind them have all left",
          "[net][batching]") {
  socket_pair pair;
  auto payloads = test_payloads(2000);
  pair.send_on_server(payloads);
  REQUIRE(pair.backlog() > 0);
  std::atomic<bool> drained{false};
  std::atomic<std::size_t> backlog_when_drained{1};
  pair.on_server([&] {
    pair.server->send_frame(ws_frame::op_close,
                            ws_frame::close_payload(1001, "bye"));
    pair.server->when_drained([&] {
      backlog_when_drained = pair.server->backlog_bytes();
      drained = true;
      beast::error_code ignored;
      pair.server->socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  });
  CHECK_FALSE(drained);
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
  CHECK(drained);
  CHECK(backlog_when_drained == 0);
}

TEST_CASE("batching socket: after the peer resets, queued frames are dropped "
          "and later ones are refused, without blocking",
          "[net][batching]") {
  socket_pair pair;
  pair.send_on_server(test_payloads(2000));
  // Abrupt close: RST instead of FIN.
  pair.client->next_layer().set_option(asio::socket_base::linger(true, 0));
  pair.client->next_layer().close();
  // The pending wait fails, or the next write does: either way nothing stays.
  auto backlog = [&] {
    return pair.on_server([&] {
      pair.server->send_frame(ws_frame::op_text, "after the reset");
      return pair.server->backlog_bytes();
    });
  };
  for (int i = 0; i < 50 && backlog() != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(backlog() == 0);
  CHECK(pair.on_server([&] { return pair.server->failed(); }));
}

TEST_CASE("batching socket: a failed write closes the socket and calls "
          "on_failure once",
          "[net][batching]") {
  socket_pair pair;
  std::atomic<int> failures{0};
  std::atomic<bool> open_when_told{true};
  pair.on_server([&] {
    pair.server->on_failure([&] {
      ++failures;
      open_when_told = pair.server->socket().is_open();
    });
  });
  pair.client->next_layer().set_option(asio::socket_base::linger(true, 0));
  pair.client->next_layer().close(); // RST: the next writes fail
  // The kernel may take a write or two before it has seen the reset.
  for (int i = 0; i < 100 && failures == 0; ++i) {
    pair.send_on_server({"after the reset"});
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(failures == 1);
  CHECK_FALSE(open_when_told); // closed before the owner hears of it
  CHECK(pair.on_server([&] {
    return !pair.server->socket().is_open() && pair.server->failed() &&
           pair.server->backlog_bytes() == 0;
  }));
  // Later sends are dropped without telling the owner again.
  pair.send_on_server({"later", std::string(100000, 'x')});
  CHECK(failures == 1);
  CHECK(pair.backlog() == 0);
}
