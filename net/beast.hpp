// Namespace aliases for the Boost.Beast/Asio code in net/*.cpp.
// Include only from .cpp files: Beast is expensive to compile.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/error.hpp>

namespace boost::beast::http {}
namespace boost::beast::websocket {}

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
namespace asio = boost::asio;
using tcp = boost::asio::ip::tcp;

namespace chat::net {
/// Each accepted connection's one serialisation point (see listener.cpp).
using connection_strand =
    boost::asio::strand<boost::asio::io_context::executor_type>;
} // namespace chat::net
