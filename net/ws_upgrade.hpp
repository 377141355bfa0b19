// The server's half of the WebSocket opening handshake (RFC 6455 section
// 4.2): every check on the client's request, the answer to a refused one,
// and the 101 response. No I/O and no Beast: http_session.cpp hands over the
// header fields it parsed, and the fuzzer and unit tests hand-made ones.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chat::net {

/// The fields of an HTTP request to `/ws/<name>` that decide the upgrade.
/// A header that is absent is nothing; an empty one is an empty view.
struct upgrade_request {
  std::string_view method;     // "GET"
  unsigned http_version = 11;  // 10 for HTTP/1.0, 11 for HTTP/1.1
  std::string_view upgrade;    // Upgrade (must name "websocket")
  std::string_view connection; // Connection (must name "upgrade")
  std::optional<std::string_view> ws_version; // Sec-WebSocket-Version
  std::string_view ws_key;                    // Sec-WebSocket-Key
  std::string_view host;                      // Host
  std::optional<std::string_view> origin;     // Origin (browsers send it)
};

/// Which browser pages may open a WebSocket here (`--allowed-origins`):
/// besides the server's own host, these origins, or any with `*`.
class origin_policy {
public:
  origin_policy() = default;
  /// From the flag's comma list; false (and nothing set) if an entry is
  /// neither `*` nor an origin `http[s]://host[:port]`.
  bool parse(std::string_view comma_list);
  /// Whether a page of `origin` may upgrade a request for `host`.
  bool allows(std::string_view origin, std::string_view host) const;
  bool any() const noexcept { return any_; }

private:
  bool any_ = false;
  std::vector<std::string> allowed_; // normalised origins
};

/// How the server answers an upgrade request.
enum class upgrade_verdict {
  accept,          // 101
  not_websocket,   // 426: not a GET with Upgrade: websocket over HTTP/1.1
  no_version,      // 400: no Sec-WebSocket-Version
  wrong_version,   // 426 with Sec-WebSocket-Version: 13
  bad_key_or_host, // 400: no Host, or a key that is not 16 bytes of base64
  draining,        // 503: the server is stopping
  foreign_origin,  // 403: a page of another origin
};

upgrade_verdict check_upgrade(const upgrade_request& req,
                              const origin_policy& origins, bool draining);

/// The refusal of `verdict` (not `accept`): status, a one-line body and the
/// headers RFC 6455 and RFC 7231 ask for (Upgrade on 426, the version).
struct upgrade_refusal {
  unsigned status;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};
upgrade_refusal refusal_of(upgrade_verdict verdict);

/// The form RFC 6455 asks of `Sec-WebSocket-Key`: 16 bytes in base64.
bool is_valid_ws_key(std::string_view key);

/// Whether the comma-separated header value `list` holds `token` (compared
/// without case, as HTTP tokens are).
bool has_token(std::string_view list, std::string_view token);

/// The whole `101 Switching Protocols` response to an upgrade with `key`.
std::string switching_protocols(std::string_view key);

} // namespace chat::net
