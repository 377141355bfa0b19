// The WebSocket side of one chat session (implemented in ws_connection.cpp).
#pragma once

#include <string>

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "net/server_context.hpp"

namespace chat::net {

using upgrade_request =
    boost::beast::http::request<boost::beast::http::string_body>;

/// Completes the upgrade of `stream`, then runs a session logged in as
/// `user` (percent-decoded; the session validates it).
void start_websocket(boost::beast::tcp_stream stream, connection_slot slot,
                     upgrade_request req, std::string user,
                     server_context& srv);

} // namespace chat::net
