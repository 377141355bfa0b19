// Accepts TCP connections and hands each to an HTTP session, on the I/O
// threads' contexts in turn.
#pragma once

#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "net/server_context.hpp"

namespace chat::net {

class listener : public std::enable_shared_from_this<listener> {
public:
  /// Binds and listens; throws boost::system::system_error on failure.
  /// Each accepted connection lives on one of `contexts` (one per I/O
  /// thread), taken in turn; the listener runs on the first.
  listener(std::vector<boost::asio::io_context*> contexts,
           const boost::asio::ip::tcp::endpoint& endpoint, server_context& srv);

  uint16_t port() const { return port_; }

  /// Starts accepting.
  void run();

  /// Stops accepting; existing connections are not touched.
  void stop();

private:
  void do_accept();
  void on_accept(boost::system::error_code ec,
                 boost::asio::ip::tcp::socket socket);

  std::vector<boost::asio::io_context*> contexts_;
  std::size_t next_context_ = 0;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  server_context& srv_;
  uint16_t port_ = 0;
};

} // namespace chat::net
