#include "server_process.hpp"

#include <catch2/catch.hpp>

namespace test {

server_process::server_process(std::vector<std::string> args, rlim_t max_files,
                               const std::string& cwd,
                               std::vector<std::string> env)
    : child_process(ACTORCHAT_BINARY, args, [&] {
        client::child_options o;
        o.max_files = max_files;
        o.cwd = cwd;
        o.env = std::move(env);
        return o;
      }()) {}

uint16_t server_process::logged_port(const std::string& pattern) {
  auto port = find_port(std::regex{pattern}, 10s);
  INFO(output());
  REQUIRE(port);
  return *port;
}

uint16_t server_process::port() {
  return logged_port("listening on http://127\\.0\\.0\\.1:(\\d+)");
}

} // namespace test
