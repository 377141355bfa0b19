// Reads one sample of a server's /metrics (Prometheus text).
#pragma once

#include <cstdint>
#include <string>

namespace bench {

/// The value of `sample` (e.g. `chat_sessions`); throws if it is missing.
double server_metric(const std::string& host, uint16_t port,
                     const std::string& sample);

} // namespace bench
