// Formatting that the reports of load, idle and chaos share.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server_url.hpp"

namespace bench {

/// `x` with `digits` decimals.
inline std::string fixed(double x, int digits = 2) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, x);
  return buf;
}

/// "clients per server: http://a:1 100, http://b:2 99"
inline std::string servers_text(const std::vector<server_url>& servers,
                                const std::vector<uint64_t>& clients) {
  std::string out = "clients per server:";
  for (std::size_t i = 0; i < servers.size(); ++i)
    out += (i ? ", " : " ") + servers[i].str() + " " +
           std::to_string(i < clients.size() ? clients[i] : 0);
  return out;
}

/// [{"url": ..., "clients": n}, ...]
inline nlohmann::json servers_json(const std::vector<server_url>& servers,
                                   const std::vector<uint64_t>& clients) {
  auto out = nlohmann::json::array();
  for (std::size_t i = 0; i < servers.size(); ++i)
    out.push_back({{"url", servers[i].str()},
                   {"clients", i < clients.size() ? clients[i] : 0}});
  return out;
}

} // namespace bench
