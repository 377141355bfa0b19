// The opening handshake's checks and reply (net/ws_upgrade.hpp).
#include <string>

#include <catch2/catch.hpp>

#include "net/ws_upgrade.hpp"

TEST_CASE("ws_upgrade: the accept key of RFC 6455's example, and the form of "
          "a client key",
          "[net][ws_upgrade]") {
  auto res = chat::net::switching_protocols("dGhlIHNhbXBsZSBub25jZQ==");
  CHECK(res.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0) == 0);
  CHECK(
      res.find("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") !=
      std::string::npos);
  CHECK(res.size() >= 4);
  CHECK(res.substr(res.size() - 4) == "\r\n\r\n");
  CHECK(chat::net::is_valid_ws_key("dGhlIHNhbXBsZSBub25jZQ=="));
  CHECK_FALSE(chat::net::is_valid_ws_key(""));
  CHECK_FALSE(chat::net::is_valid_ws_key("dGhlIHNhbXBsZSBub25jZQ"));
  CHECK_FALSE(chat::net::is_valid_ws_key("dGhlIHNhbXBsZSBub25jZ!=="));
  CHECK_FALSE(chat::net::is_valid_ws_key("dGhlIHNhbXBsZSBub25jZQ==x"));
}
