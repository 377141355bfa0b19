#include "test_server.hpp"

#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "server_metrics.hpp"

namespace test {

test_server::test_server(
    const std::function<void(chat::net::server_options&)>& tweak) {
  chat::net::server_options opts;
  opts.port = 0;
  opts.www = TEST_WWW_DIR;
  opts.log_level = chat::log::level::warn;
  // Two scheduler threads and two I/O threads, unlike the defaults: actors
  // and connections really run in parallel, so the wire tests meet the
  // interleavings a bigger machine has.
  opts.actor_threads = 2;
  opts.io_threads = 2;
  if (std::getenv("TEST_LOG_LEVEL"))
    opts.log_level = chat::log::parse_level(std::getenv("TEST_LOG_LEVEL"))
                         .value_or(opts.log_level);
  if (tweak)
    tweak(opts);
  server_ = std::make_unique<chat::net::chat_server>(opts);
}

double test_server::metric(const std::string& sample) const {
  return bench::server_metric("127.0.0.1", port(), sample);
}

bool test_server::wait_metric(const std::string& sample, double value,
                              std::chrono::milliseconds timeout) const {
  return eventually([&] { return metric(sample) == value; }, timeout);
}

bool eventually(const std::function<bool()>& pred,
                std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

} // namespace test
