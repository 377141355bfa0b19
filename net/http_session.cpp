#include "net/http_session.hpp"

#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "net/beast.hpp"
#include "net/percent.hpp"
#include "net/static_files.hpp"
#include "net/ws_connection.hpp"
#include "net/ws_upgrade.hpp"

namespace chat::net {

namespace {

/// Upper bounds of what a client may send before its request is refused.
constexpr std::uint32_t max_header_bytes = 8 * 1024;
constexpr std::uint64_t max_body_bytes = 8 * 1024;
constexpr std::string_view ws_prefix = "/ws/";

using response = http::response<http::string_body>;

class http_session : public std::enable_shared_from_this<http_session> {
public:
  http_session(tcp::socket socket, connection_slot slot, server_context& srv)
      : stream_(std::move(socket)), slot_(std::move(slot)), srv_(srv) {}

  void run() { do_read(); }

private:
  void do_read() {
    parser_.emplace();
    parser_->header_limit(max_header_bytes);
    parser_->body_limit(max_body_bytes);
    // A client that never finishes its request is cut after the timeout.
    stream_.expires_after(srv_.chat.lim.handshake_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) {
          self->on_read(ec);
        });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream) {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
      return;
    }
    if (ec) {
      if (ec == http::error::header_limit || ec == http::error::body_limit)
        send(plain(http::status::payload_too_large, "request too large\n", 11,
                   false));
      return; // timeout, reset or garbage: drop the connection
    }
    auto req = parser_->release();
    std::string_view target = req.target();
    if (target.substr(0, ws_prefix.size()) == ws_prefix) {
      upgrade(req);
      return;
    }
    send(route(req));
  }

  /// Upgrades to a WebSocket if every check of ws_upgrade.hpp passes, else
  /// answers why not and ends the connection.
  void upgrade(http::request<http::string_body>& req) {
    auto field = [&](http::field f) -> std::optional<std::string_view> {
      auto it = req.find(f);
      if (it == req.end())
        return std::nullopt;
      return std::string_view{it->value()};
    };
    upgrade_request up;
    up.method = req.method_string();
    up.http_version = req.version();
    up.upgrade = field(http::field::upgrade).value_or("");
    up.connection = field(http::field::connection).value_or("");
    up.ws_version = field(http::field::sec_websocket_version);
    up.ws_key = field(http::field::sec_websocket_key).value_or("");
    up.host = field(http::field::host).value_or("");
    up.origin = field(http::field::origin);
    auto verdict = check_upgrade(up, srv_.origins, srv_.draining.load());
    if (verdict != upgrade_verdict::accept) {
      auto refusal = refusal_of(verdict);
      auto res = plain(static_cast<http::status>(refusal.status),
                       std::move(refusal.body), req.version(), false);
      for (auto& [name, value] : refusal.headers)
        res.set(name, value);
      send(std::move(res));
      return;
    }
    std::string_view target = req.target();
    auto name = target.substr(ws_prefix.size());
    name = name.substr(0, name.find_first_of("?#"));
    // A malformed escape is an invalid name; the session refuses it.
    auto user = percent_decode(name).value_or(std::string{});
    // Bytes the client sent after its request (frames it did not wait to
    // send) were read with it: they belong to the WebSocket.
    auto early = buffer_.data();
    std::string pipelined(static_cast<const char*>(early.data()), early.size());
    stream_.expires_never();
    start_websocket(stream_.release_socket(), std::move(slot_), up.ws_key,
                    std::move(user), std::move(pipelined), srv_);
  }

  response route(const http::request<http::string_body>& req) {
    auto version = req.version();
    bool keep_alive = req.keep_alive() && !srv_.draining.load();
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      auto res = plain(http::status::method_not_allowed, "method not allowed\n",
                       version, keep_alive);
      res.set(http::field::allow, "GET, HEAD");
      return res;
    }
    std::string_view target = req.target();
    auto path = target.substr(0, target.find('?'));
    response res;
    if (path == "/healthz") {
      res = srv_.draining.load()
                ? plain(http::status::service_unavailable, "shutting down\n",
                        version, false)
                : plain(http::status::ok, "ok\n", version, keep_alive);
    } else if (path == "/metrics") {
      res = plain(http::status::ok, srv_.chat.stats.render(), version,
                  keep_alive);
      res.set(http::field::content_type, "text/plain; version=0.0.4");
    } else {
      res = static_file(target, version, keep_alive);
    }
    if (req.method() == http::verb::head) {
      auto size = res.body().size();
      res.body().clear();
      res.content_length(size);
    }
    return res;
  }

  response static_file(std::string_view target, unsigned version,
                       bool keep_alive) {
    auto file = resolve_static(srv_.www_root, target);
    if (!file)
      return plain(http::status::not_found, "not found\n", version, keep_alive);
    std::ifstream in(*file, std::ios::binary);
    std::ostringstream body;
    body << in.rdbuf();
    if (!in)
      return plain(http::status::not_found, "not found\n", version, keep_alive);
    response res{http::status::ok, version};
    res.set(http::field::content_type, mime_type(*file));
    res.set(http::field::cache_control, "no-cache");
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Content-Security-Policy", content_security_policy(*file));
    res.keep_alive(keep_alive);
    res.body() = body.str();
    res.prepare_payload();
    return res;
  }

  static response plain(http::status status, std::string body, unsigned version,
                        bool keep_alive) {
    response res{status, version};
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.keep_alive(keep_alive);
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
  }

  void send(response res) {
    auto msg = std::make_shared<response>(std::move(res));
    stream_.expires_after(srv_.chat.lim.handshake_timeout);
    http::async_write(
        stream_, *msg,
        [self = shared_from_this(), msg](beast::error_code ec, std::size_t) {
          self->on_write(ec, msg->keep_alive());
        });
  }

  void on_write(beast::error_code ec, bool keep_alive) {
    if (ec)
      return;
    if (!keep_alive) {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
      return;
    }
    do_read();
  }

  beast::tcp_stream stream_;
  connection_slot slot_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  server_context& srv_;
};

} // namespace

void start_http_session(tcp::socket socket, connection_slot slot,
                        server_context& srv) {
  std::make_shared<http_session>(std::move(socket), std::move(slot), srv)
      ->run();
}

void refuse_busy(tcp::socket socket) {
  static const std::string busy =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
      "Content-Length: 21\r\nConnection: close\r\nRetry-After: 1\r\n\r\n"
      "too many connections\n";
  auto sock = std::make_shared<tcp::socket>(std::move(socket));
  asio::async_write(*sock, asio::buffer(busy),
                    [sock](beast::error_code, std::size_t) {
                      beast::error_code ignored;
                      sock->shutdown(tcp::socket::shutdown_both, ignored);
                      sock->close(ignored);
                    });
}

} // namespace chat::net
