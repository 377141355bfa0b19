#include "net/listener.hpp"

#include <boost/asio/dispatch.hpp>

#include "actors/log.hpp"
#include "net/beast.hpp"
#include "net/http_session.hpp"

namespace chat::net {

listener::listener(std::vector<asio::io_context*> contexts,
                   const tcp::endpoint& endpoint, server_context& srv)
    : contexts_(std::move(contexts)), strand_(asio::make_strand(*contexts_[0])),
      acceptor_(strand_), retry_timer_(strand_), srv_(srv) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor_.local_endpoint().port();
}

void listener::run() {
  asio::dispatch(strand_, [self = shared_from_this()] { self->do_accept(); });
}

void listener::stop() {
  asio::dispatch(strand_, [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->acceptor_.close(ignored);
    self->retry_timer_.cancel();
  });
}

void listener::do_accept() {
  // Each connection gets its own strand: its one serialisation point. All
  // its handlers run on one I/O thread, so that thread's write batch may
  // write its socket (net/write_batch.hpp).
  auto& ioc = *contexts_[next_context_];
  next_context_ = (next_context_ + 1) % contexts_.size();
  acceptor_.async_accept(connection_strand(ioc.get_executor()),
                         [self = shared_from_this()](
                             boost::system::error_code ec, tcp::socket socket) {
                           self->on_accept(ec, std::move(socket));
                         });
}

void listener::on_accept(boost::system::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open())
    return;
  if (ec) {
    // Out of file descriptors (or another transient failure): wait a little
    // and accept again, so the acceptor never stops for good.
    log::warn("accept failed: " + ec.message() + "; retrying in 100 ms");
    retry_timer_.expires_after(std::chrono::milliseconds(100));
    retry_timer_.async_wait(
        [self = shared_from_this()](boost::system::error_code wait_ec) {
          if (!wait_ec && self->acceptor_.is_open())
            self->do_accept();
        });
    return;
  }
  if (static_cast<std::size_t>(srv_.open_connections.load()) >=
      srv_.chat.lim.max_connections)
    refuse_busy(std::move(socket));
  else
    start_http_session(std::move(socket), connection_slot{srv_}, srv_);
  do_accept();
}

} // namespace chat::net
