#include "server_metrics.hpp"

#include <sstream>
#include <stdexcept>

#include "ws_client.hpp"

namespace bench {

std::map<std::string, double> server_metrics(const std::string& host,
                                             uint16_t port) {
  auto reply = client::http_get(host, port, "/metrics");
  std::map<std::string, double> out;
  std::istringstream lines{reply.body};
  std::string line;
  while (std::getline(lines, line)) {
    auto space = line.rfind(' ');
    if (line.empty() || line[0] == '#' || space == std::string::npos)
      continue;
    try {
      out[line.substr(0, space)] = std::stod(line.substr(space + 1));
    } catch (const std::exception&) {
      // not a number: not a sample line
    }
  }
  return out;
}

double server_metric(const std::string& host, uint16_t port,
                     const std::string& sample) {
  auto all = server_metrics(host, port);
  auto it = all.find(sample);
  if (it == all.end())
    throw std::runtime_error("no metric sample '" + sample + "'");
  return it->second;
}

} // namespace bench
