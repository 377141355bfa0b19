// Namespace aliases for the Boost.Beast/Asio code in net/*.cpp.
// Include only from .cpp files: Beast is expensive to compile.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>

namespace boost::beast::http {}
namespace boost::beast::websocket {}

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
namespace asio = boost::asio;
using tcp = boost::asio::ip::tcp;
