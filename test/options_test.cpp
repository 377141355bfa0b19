#include <catch2/catch.hpp>

#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "net/options.hpp"

using namespace chat::net;

namespace {

parse_result parse(std::vector<const char*> args) {
  args.insert(args.begin(), "actorchat");
  return parse_options(static_cast<int>(args.size()), args.data());
}

} // namespace

TEST_CASE("defaults follow PROTOCOL.md", "[options]") {
  auto r = parse({});
  REQUIRE(std::holds_alternative<server_options>(r));
  auto& o = std::get<server_options>(r);
  CHECK(o.bind == "127.0.0.1");
  CHECK(o.port == 8080);
  CHECK(o.lim.max_frame_bytes == 65536);
  CHECK(o.lim.max_msg_code_points == 4096);
  CHECK(o.lim.rate_per_second == 20);
  CHECK(o.lim.rate_burst == 40);
  CHECK(o.lim.max_backlog_bytes == 1024 * 1024);
  CHECK(o.lim.heartbeat_timeout == std::chrono::seconds(60));
  CHECK(o.trace_file.empty());
  CHECK(o.io_uring);
}

TEST_CASE("flags take '--flag value' and '--flag=value'", "[options]") {
  auto r = parse({"--port", "9000", "--bind=0.0.0.0", "--heartbeat-timeout",
                  "2.5", "--rate-limit=5", "--max-frame", "1024",
                  "--max-backlog=4096", "--threads", "3", "--log-level=debug",
                  "--www", "/srv/www", "--io-uring", "off"});
  REQUIRE(std::holds_alternative<server_options>(r));
  auto& o = std::get<server_options>(r);
  CHECK(o.port == 9000);
  CHECK(o.bind == "0.0.0.0");
  CHECK(o.lim.heartbeat_timeout == std::chrono::milliseconds(2500));
  CHECK(o.lim.rate_per_second == 5);
  CHECK(o.lim.max_frame_bytes == 1024);
  CHECK(o.lim.max_backlog_bytes == 4096);
  CHECK(o.io_threads == 3);
  CHECK(o.log_level == chat::log::level::debug);
  CHECK(o.www == "/srv/www");
  CHECK_FALSE(o.io_uring);
}

TEST_CASE("the trace flag takes a file in both forms and refuses an empty one",
          "[options]") {
  for (auto args : std::vector<std::vector<const char*>>{
           {"--trace", "/tmp/t.jsonl"}, {"--trace=/tmp/t.jsonl"}}) {
    auto r = parse(args);
    REQUIRE(std::holds_alternative<server_options>(r));
    CHECK(std::get<server_options>(r).trace_file == "/tmp/t.jsonl");
  }
  CHECK(std::holds_alternative<bad_options>(parse({"--trace="})));
  CHECK(std::holds_alternative<bad_options>(parse({"--trace"})));
}

TEST_CASE("bad flags are refused with a message", "[options]") {
  for (auto args :
       std::vector<std::vector<const char*>>{{"--port", "70000"},
                                             {"--port"},
                                             {"--port=abc"},
                                             {"--nope=1"},
                                             {"stray"},
                                             {"--log-level", "loud"},
                                             {"--threads", "0"},
                                             {"--io-uring", "maybe"}}) {
    auto r = parse(args);
    REQUIRE(std::holds_alternative<bad_options>(r));
    CHECK_FALSE(std::get<bad_options>(r).message.empty());
  }
}

TEST_CASE("--help lists every flag with its default", "[options]") {
  auto r = parse({"--help"});
  REQUIRE(std::holds_alternative<help_requested>(r));
  auto& text = std::get<help_requested>(r).text;
  // Every flag the server takes, by hand: a flag dropped from the table
  // fails here, and one added to it fails the count below until listed.
  std::istringstream names{
      "bind port www threads actor-threads scheduler io-uring "
      "heartbeat-timeout handshake-timeout rate-limit rate-burst max-frame "
      "max-msg max-backlog max-connections allowed-origins trace "
      "cluster-port cluster-bind join node-name node-timeout "
      "cluster-advertise cluster-cert cluster-key cluster-ca log-level"};
  std::vector<std::string> flags{std::istream_iterator<std::string>{names}, {}};
  std::size_t described = 0;
  std::istringstream lines{text};
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("  --", 0) == 0 && line.find("  --help") != 0)
      ++described;
  CHECK(described == flags.size());
  for (const auto& flag : flags) {
    INFO("--" << flag);
    auto at = text.find("  --" + flag + ' ');
    REQUIRE(at != std::string::npos);
    // Its line gives a default.
    auto line = text.substr(at, text.find('\n', at) - at);
    CHECK_THAT(line, Catch::Contains("(default: "));
  }
  CHECK(text.find("(default: 8080)") != std::string::npos);
  CHECK(text.find("  --help") != std::string::npos);
}
