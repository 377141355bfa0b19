// The opening handshake's checks (net/ws_upgrade): check_upgrade,
// refusal_of, origin_policy and the 101 response, fed header values a
// hostile client or a mistyped --allowed-origins may hold. Input: byte 0 is
// flags (bit 0 draining, bit 1 Sec-WebSocket-Version present, bit 2 Origin
// present, bits 3-4 the HTTP version: 1.1, 1.0, 0.9, 2), the rest is
// newline-separated fields: method, Upgrade, Connection,
// Sec-WebSocket-Version, Sec-WebSocket-Key, Host, Origin, and the
// --allowed-origins list.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "net/ws_upgrade.hpp"

namespace {

using namespace chat::net;

std::string ascii_upper(std::string_view s) {
  std::string u(s);
  for (auto& c : u)
    if (c >= 'a' && c <= 'z')
      c = static_cast<char>(c - 'a' + 'A');
  return u;
}

std::string_view trim_blanks(std::string_view s) {
  auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos)
    return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

/// Whether the comma list holds `token` (lower case), written apart from
/// has_token: lower-case the list, then compare its trimmed items.
bool reference_has_token(std::string_view list, std::string_view token) {
  auto lower = std::string(list);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; });
  std::string_view rest = lower;
  for (;;) {
    auto comma = rest.find(',');
    if (trim_blanks(rest.substr(0, comma)) == token)
      return true;
    if (comma == std::string_view::npos)
      return false;
    rest.remove_prefix(comma + 1);
  }
}

/// `host` or `host:port` with a lower-case DNS name and a port up to 65535:
/// a Host a browser's own page would name in its Origin.
bool plain_host(std::string_view host) {
  auto colon = host.find(':');
  auto name = host.substr(0, colon);
  if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
               c == '-';
      }))
    return false;
  if (colon == std::string_view::npos)
    return true;
  auto port = host.substr(colon + 1);
  return !port.empty() && port.size() <= 5 &&
         std::all_of(port.begin(), port.end(),
                     [](char c) { return c >= '0' && c <= '9'; }) &&
         std::stoul(std::string(port)) <= 65535;
}

bool printable_header_text(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f;
  });
}

void check_refusal(upgrade_verdict verdict) {
  auto r = refusal_of(verdict);
  FUZZ_CHECK(r.status == 400 || r.status == 403 || r.status == 426 ||
             r.status == 503);
  FUZZ_CHECK(!r.body.empty() && r.body.back() == '\n');
  bool upgrade_header = false;
  for (auto& [name, value] : r.headers) {
    FUZZ_CHECK(printable_header_text(name) && printable_header_text(value));
    upgrade_header |= name == "Upgrade" && value == "websocket";
  }
  // RFC 7231 6.5.15: a 426 says which protocol to upgrade to.
  FUZZ_CHECK(r.status != 426 || upgrade_header);
}

void check_accept_response(std::string_view key) {
  auto res = switching_protocols(key);
  FUZZ_CHECK(res.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0) == 0);
  FUZZ_CHECK(res.size() >= 4 && res.find("\r\n\r\n") == res.size() - 4);
  auto at = res.find("Sec-WebSocket-Accept: ");
  FUZZ_CHECK(at != std::string::npos);
  auto value = std::string_view(res).substr(at + 22);
  value = value.substr(0, value.find("\r\n"));
  FUZZ_CHECK(value.size() == 28 && value.back() == '='); // base64 of SHA-1
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size < 1)
    return 0;
  uint8_t flags = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<std::string_view> f;
  while (f.size() < 7) {
    auto nl = rest.find('\n');
    f.push_back(rest.substr(0, nl));
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
  }
  std::string_view allowed_list = rest; // the last field may hold newlines

  origin_policy policy;
  bool parsed = policy.parse(allowed_list);
  if (!parsed)
    FUZZ_CHECK(!policy.any()); // a refused list sets nothing
  bool star = false;
  for (std::string_view l = allowed_list; !l.empty();) {
    auto comma = l.find(',');
    star |= trim_blanks(l.substr(0, comma)) == "*";
    l.remove_prefix(comma == std::string_view::npos ? l.size() : comma + 1);
  }
  if (parsed)
    FUZZ_CHECK(policy.any() == star);

  upgrade_request req;
  req.method = f[0];
  static constexpr unsigned versions[] = {11, 10, 9, 20}; // 0: HTTP/1.1
  req.http_version = versions[(flags >> 3) & 3];
  req.upgrade = f[1];
  req.connection = f[2];
  if (flags & 2)
    req.ws_version = f[3];
  req.ws_key = f[4];
  req.host = f[5];
  if (flags & 4)
    req.origin = f[6];
  bool draining = flags & 1;

  FUZZ_CHECK(has_token(req.upgrade, "websocket") ==
             reference_has_token(req.upgrade, "websocket"));
  FUZZ_CHECK(has_token(req.connection, "upgrade") ==
             reference_has_token(req.connection, "upgrade"));

  auto verdict = check_upgrade(req, policy, draining);
  if (verdict == upgrade_verdict::accept) {
    FUZZ_CHECK(req.method == "GET" && req.http_version >= 11);
    FUZZ_CHECK(reference_has_token(req.upgrade, "websocket"));
    FUZZ_CHECK(reference_has_token(req.connection, "upgrade"));
    FUZZ_CHECK(req.ws_version && trim_blanks(*req.ws_version) == "13");
    FUZZ_CHECK(is_valid_ws_key(trim_blanks(req.ws_key)));
    FUZZ_CHECK(!trim_blanks(req.host).empty());
    FUZZ_CHECK(!draining);
    FUZZ_CHECK(!req.origin || policy.allows(*req.origin, req.host));
    check_accept_response(req.ws_key);
  } else {
    check_refusal(verdict);
  }
  if (draining)
    FUZZ_CHECK(verdict != upgrade_verdict::accept &&
               verdict != upgrade_verdict::foreign_origin);

  // Scheme and host compare without case; ports are digits.
  auto origin = f[6], host = f[5];
  bool allowed = policy.allows(origin, host);
  FUZZ_CHECK(allowed == policy.allows(ascii_upper(origin), host));
  FUZZ_CHECK(allowed == policy.allows(origin, ascii_upper(host)));
  if (policy.any())
    FUZZ_CHECK(allowed);
  // A page the server itself served is never refused.
  if (plain_host(host)) {
    FUZZ_CHECK(policy.allows("http://" + std::string(host), host));
    FUZZ_CHECK(policy.allows("https://" + std::string(host), host));
  }
  return 0;
}
