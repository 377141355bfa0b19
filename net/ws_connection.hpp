// The WebSocket side of one chat session (implemented in ws_connection.cpp).
#pragma once

#include <string>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>

#include "net/server_context.hpp"

namespace chat::net {

/// Completes the upgrade of `socket` (a checked request with
/// `Sec-WebSocket-Key: key`), then runs a session logged in as `user`
/// (percent-decoded; the session validates it). `pipelined` holds the bytes
/// the client sent right behind its request, read with it.
void start_websocket(boost::asio::ip::tcp::socket socket, connection_slot slot,
                     std::string_view key, std::string user,
                     std::string pipelined, server_context& srv);

} // namespace chat::net
