// The WebSocket side of one chat session (implemented in ws_connection.cpp).
#pragma once

#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "net/server_context.hpp"

namespace chat::net {

using upgrade_request =
    boost::beast::http::request<boost::beast::http::string_body>;

/// Completes the upgrade of `socket`, then runs a session logged in as
/// `user` (percent-decoded; the session validates it).
void start_websocket(boost::asio::ip::tcp::socket socket, connection_slot slot,
                     upgrade_request req, std::string user,
                     server_context& srv);

} // namespace chat::net
