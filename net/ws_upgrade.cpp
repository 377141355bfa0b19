#include "net/ws_upgrade.hpp"

#include <algorithm>
#include <cctype>

#include <boost/beast/websocket/detail/hybi13.hpp>

namespace chat::net {

bool is_valid_ws_key(std::string_view key) {
  // 16 bytes encode to 22 base64 characters and "==".
  if (key.size() != 24 || key.substr(22) != "==")
    return false;
  return std::all_of(key.begin(), key.begin() + 22, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
  });
}

std::string switching_protocols(std::string_view key) {
  // SHA-1 and base64 of the key and RFC 6455's GUID, by Beast's helper.
  boost::beast::websocket::detail::sec_ws_accept_type accept;
  boost::beast::websocket::detail::make_sec_ws_accept(
      accept, boost::beast::string_view(key.data(), key.size()));
  std::string res = "HTTP/1.1 101 Switching Protocols\r\n"
                    "Upgrade: websocket\r\n"
                    "Connection: Upgrade\r\n"
                    "Sec-WebSocket-Accept: ";
  res.append(accept.data(), accept.size());
  res += "\r\nServer: actorchat\r\n\r\n";
  return res;
}

} // namespace chat::net
