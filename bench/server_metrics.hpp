// Reads one sample of a server's /metrics (Prometheus text).
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace bench {

/// Every sample of /metrics by its name and labels (e.g. `chat_sessions`,
/// `chat_disconnects_total{reason="reset"}`); throws if unreachable.
std::map<std::string, double> server_metrics(const std::string& host,
                                             uint16_t port);

/// The value of `sample` (e.g. `chat_sessions`); throws if it is missing.
double server_metric(const std::string& host, uint16_t port,
                     const std::string& sample);

} // namespace bench
