#include "server_metrics.hpp"

#include <sstream>
#include <stdexcept>

#include "ws_client.hpp"

namespace bench {

double server_metric(const std::string& host, uint16_t port,
                     const std::string& sample) {
  auto reply = client::http_get(host, port, "/metrics");
  std::istringstream lines{reply.body};
  std::string line;
  while (std::getline(lines, line))
    if (line.size() > sample.size() &&
        line.compare(0, sample.size(), sample) == 0 &&
        line[sample.size()] == ' ')
      return std::stod(line.substr(sample.size() + 1));
  throw std::runtime_error("no metric sample '" + sample + "'");
}

} // namespace bench
