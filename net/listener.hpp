// Accepts TCP connections and hands each to an HTTP session.
#pragma once

#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "net/server_context.hpp"

namespace chat::net {

class listener : public std::enable_shared_from_this<listener> {
public:
  /// Binds and listens; throws boost::system::system_error on failure.
  listener(boost::asio::io_context& ioc,
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

  boost::asio::io_context& ioc_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  server_context& srv_;
  uint16_t port_ = 0;
};

} // namespace chat::net
