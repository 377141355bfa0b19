#include "net/ws_upgrade.hpp"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <string>

#include <boost/beast/websocket/detail/hybi13.hpp>

namespace chat::net {

namespace {

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(),
                    [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

/// `host[:port]` or `[v6]:port`, split; the port is empty if absent.
/// Nothing if the form is wrong (an empty host, a port that is no number).
std::optional<std::pair<std::string, std::string>>
split_authority(std::string_view authority) {
  std::string_view host = authority, port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return std::nullopt;
    host = authority.substr(0, close + 1);
    auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':')
        return std::nullopt;
      port = rest.substr(1);
    }
  } else if (auto colon = authority.rfind(':');
             colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty())
    return std::nullopt;
  std::string canonical_port; // "080" and "80" are one port
  if (authority.find(':', host.size()) != std::string_view::npos) {
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(),
                     [](char c) { return c >= '0' && c <= '9'; }))
      return std::nullopt;
    auto number = std::stoul(std::string{port});
    if (number > 65535)
      return std::nullopt;
    canonical_port = std::to_string(number);
  }
  std::string h;
  std::transform(host.begin(), host.end(), std::back_inserter(h), lower);
  return std::make_pair(std::move(h), std::move(canonical_port));
}

/// An origin as a browser serialises it, `scheme://host[:port]`, in one form
/// (lower case, the scheme's default port written out); nothing if it is
/// not an http or https origin (e.g. "null").
struct origin {
  std::string scheme, host, port;
  std::string str() const { return scheme + "://" + host + ":" + port; }
};

std::optional<origin> parse_origin(std::string_view text) {
  text = trim(text);
  auto sep = text.find("://");
  if (sep == std::string_view::npos)
    return std::nullopt;
  origin o;
  auto scheme = text.substr(0, sep);
  if (iequals(scheme, "http"))
    o.scheme = "http";
  else if (iequals(scheme, "https"))
    o.scheme = "https";
  else
    return std::nullopt;
  auto authority = text.substr(sep + 3);
  if (authority.find_first_of("/?#@ ") != std::string_view::npos)
    return std::nullopt;
  auto parts = split_authority(authority);
  if (!parts)
    return std::nullopt;
  o.host = std::move(parts->first);
  o.port = parts->second.empty() ? (o.scheme == "http" ? "80" : "443")
                                 : std::move(parts->second);
  return o;
}

} // namespace

bool origin_policy::parse(std::string_view comma_list) {
  bool any = false;
  std::vector<std::string> allowed;
  while (!comma_list.empty()) {
    auto comma = comma_list.find(',');
    auto item = trim(comma_list.substr(0, comma));
    comma_list.remove_prefix(comma == std::string_view::npos ? comma_list.size()
                                                             : comma + 1);
    if (item.empty())
      continue;
    if (item == "*") {
      any = true;
      continue;
    }
    auto o = parse_origin(item);
    if (!o)
      return false;
    allowed.push_back(o->str());
  }
  any_ = any;
  allowed_ = std::move(allowed);
  return true;
}

bool origin_policy::allows(std::string_view origin_text,
                           std::string_view host) const {
  if (any_)
    return true;
  auto o = parse_origin(origin_text);
  if (!o)
    return false; // "null" (a sandboxed page, a file) or garbage
  if (auto own = split_authority(trim(host)); own && own->first == o->host) {
    // A Host without a port came to the scheme's default port; behind a TLS
    // proxy that is https's 443.
    if (own->second.empty() ? (o->port == "80" || o->port == "443")
                            : own->second == o->port)
      return true;
  }
  return std::find(allowed_.begin(), allowed_.end(), o->str()) !=
         allowed_.end();
}

bool has_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    auto comma = list.find(',');
    if (iequals(trim(list.substr(0, comma)), token))
      return true;
    if (comma == std::string_view::npos)
      break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

bool is_valid_ws_key(std::string_view key) {
  // 16 bytes encode to 22 base64 characters and "==".
  if (key.size() != 24 || key.substr(22) != "==")
    return false;
  return std::all_of(key.begin(), key.begin() + 22, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
  });
}

upgrade_verdict check_upgrade(const upgrade_request& req,
                              const origin_policy& origins, bool draining) {
  if (req.method != "GET" || req.http_version < 11 ||
      !has_token(req.upgrade, "websocket") ||
      !has_token(req.connection, "upgrade"))
    return upgrade_verdict::not_websocket;
  if (!req.ws_version)
    return upgrade_verdict::no_version;
  if (trim(*req.ws_version) != "13")
    return upgrade_verdict::wrong_version;
  if (!is_valid_ws_key(trim(req.ws_key)) || trim(req.host).empty())
    return upgrade_verdict::bad_key_or_host;
  if (draining)
    return upgrade_verdict::draining;
  // No Origin: not a browser, so no page of a foreign site can be behind it.
  if (req.origin && !origins.allows(*req.origin, req.host))
    return upgrade_verdict::foreign_origin;
  return upgrade_verdict::accept;
}

upgrade_refusal refusal_of(upgrade_verdict verdict) {
  switch (verdict) {
  case upgrade_verdict::accept:
    break;
  case upgrade_verdict::not_websocket:
    return {426,
            "this endpoint speaks WebSocket\n",
            {{"Upgrade", "websocket"}, {"Sec-WebSocket-Version", "13"}}};
  case upgrade_verdict::no_version:
    return {400, "a WebSocket upgrade needs Sec-WebSocket-Version: 13\n", {}};
  case upgrade_verdict::wrong_version:
    return {426,
            "this server speaks WebSocket version 13\n",
            {{"Upgrade", "websocket"}, {"Sec-WebSocket-Version", "13"}}};
  case upgrade_verdict::bad_key_or_host:
    return {400,
            "a WebSocket upgrade needs Host and a valid "
            "Sec-WebSocket-Key\n",
            {}};
  case upgrade_verdict::draining:
    return {503, "shutting down\n", {{"Retry-After", "1"}}};
  case upgrade_verdict::foreign_origin:
    return {403, "pages of this origin may not open a chat here\n", {}};
  }
  return {500, "no refusal for an accepted upgrade\n", {}};
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
