// One HTTP connection: reads requests, serves static files, /healthz and
// /metrics, and hands WebSocket upgrades at /ws/<name> to a ws_connection.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include "net/server_context.hpp"

namespace chat::net {

/// Serves `socket` until it closes or upgrades to a WebSocket.
void start_http_session(boost::asio::ip::tcp::socket socket,
                        connection_slot slot, server_context& srv);

/// Answers 503 (too many connections) and closes `socket`.
void refuse_busy(boost::asio::ip::tcp::socket socket);

} // namespace chat::net
