// The servers a bench mode runs against: http://HOST:PORT (or ws://), one
// or several (a comma list or the URL given more than once).
#pragma once

#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace bench {

struct server_url {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  std::string str() const {
    return "http://" + host + ":" + std::to_string(port);
  }
};

/// Throws std::invalid_argument on a bad URL.
inline server_url parse_url(const std::string& url) {
  auto rest = url;
  for (const char* scheme : {"http://", "ws://"})
    if (rest.rfind(scheme, 0) == 0)
      rest = rest.substr(std::string{scheme}.size());
  rest = rest.substr(0, rest.find('/'));
  auto colon = rest.rfind(':');
  server_url u;
  u.host = rest.substr(0, colon);
  u.port = 80;
  if (colon != std::string::npos) {
    int p = -1;
    try {
      p = std::stoi(rest.substr(colon + 1));
    } catch (const std::exception&) {
    }
    if (p <= 0 || p > 65535)
      throw std::invalid_argument("bad port in URL '" + url + "'");
    u.port = static_cast<uint16_t>(p);
  }
  if (u.host.empty())
    throw std::invalid_argument("bad URL '" + url + "'");
  return u;
}

/// A comma list of URLs, appended to `out`.
inline void parse_urls(const std::string& list, std::vector<server_url>& out) {
  std::istringstream in{list};
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty())
      out.push_back(parse_url(item));
}

} // namespace bench
