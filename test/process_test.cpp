// The real binary as a process: flags, the listening line, SIGTERM.
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/options.hpp"
#include "raw_socket.hpp"
#include "server_process.hpp"
#include "temp_dir.hpp"
#include "ws_client.hpp"

using namespace client;

using test::server_process;

TEST_CASE("SIGTERM and SIGINT close every session with 1001 and exit 0 "
          "within 5 s",
          "[e2e][process][shutdown]") {
  for (int sig : {SIGTERM, SIGINT}) {
    INFO("signal " << sig);
    server_process proc{{"--port", "0", "--www=" TEST_WWW_DIR}};
    auto port = proc.port();
    ws_client alice{port, "/ws/alice"};
    alice.expect("welcome");
    auto start = std::chrono::steady_clock::now();
    proc.signal(sig);
    auto closed = alice.wait_close(5s);
    REQUIRE(closed);
    CHECK(closed->code == 1001);
    CHECK(proc.wait_exit(5s) == 0);
    CHECK(std::chrono::steady_clock::now() - start < 5s);
  }
}

TEST_CASE("a client that never answers the close does not hold up the exit",
          "[e2e][process][shutdown]") {
  server_process proc{{"--port=0", "--www", TEST_WWW_DIR}};
  auto port = proc.port();
  // Upgraded by hand and then silent: it never answers the close frame.
  raw_socket silent{port};
  silent.upgrade("/ws/silent");
  auto start = std::chrono::steady_clock::now();
  proc.signal(SIGTERM);
  CHECK(proc.wait_exit(6s) == 0);
  CHECK(std::chrono::steady_clock::now() - start < 5s);
}

TEST_CASE("--help lists the flags and bad flags exit 2", "[e2e][process]") {
  {
    // The binary prints the help of the options table (every flag is
    // checked against the table in options_test.cpp) on stdout, exit 0.
    FILE* out = ::popen(ACTORCHAT_BINARY " --help", "r");
    REQUIRE(out);
    std::string text;
    char buf[4096];
    while (auto n = std::fread(buf, 1, sizeof buf, out))
      text.append(buf, n);
    int status = ::pclose(out);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    const char* argv[] = {"actorchat", "--help"};
    auto expected = chat::net::parse_options(2, argv);
    REQUIRE(std::holds_alternative<chat::net::help_requested>(expected));
    CHECK(text == std::get<chat::net::help_requested>(expected).text);
    CHECK(text.find("  --port N") != std::string::npos);
  }
  {
    server_process proc{{"--port", "nope"}};
    auto out = proc.read_until(std::regex{"invalid value"});
    CHECK(out.find("--port") != std::string::npos);
    CHECK(proc.wait_exit(5s) == 2);
  }
}

TEST_CASE("a port in use is a clear error, exit 1", "[e2e][process]") {
  server_process first{{"--port", "0", "--www", TEST_WWW_DIR}};
  auto port = first.port();
  server_process second{{"--port", std::to_string(port)}};
  auto out = second.read_until(std::regex{"cannot start"});
  CHECK(out.find("cannot start") != std::string::npos);
  CHECK(second.wait_exit(5s) == 1);
}

namespace {

/// Under the sanitizers: the environment of a server that runs out of
/// descriptors. UBSan starts lazily, at its first report, and reads its
/// options from /proc/self/environ; a first report in the window without
/// descriptors leaves it on its defaults for the rest of the process:
/// no suppressions, no halt. The first report there is UBSan's own: its
/// vptr check probes memory through a new pipe, and without a descriptor it
/// reports every object it has not seen before as "invalid vptr", "memory
/// cannot be printed". So the server goes on after a report, and
/// `other_ubsan_reports` discounts both kinds. UBSan's demangler leaks
/// what it prints; LSan's `leak:__ubsan` suppression needs the full
/// allocation stack, which the fast unwinder cuts at libstdc++.
std::vector<std::string> sanitizers_without_descriptors() {
#ifdef ACTORCHAT_SANITIZED
  auto with = [](const char* name, const char* extra) {
    const char* inherited = std::getenv(name);
    return std::string{name} + "=" + (inherited ? inherited : "") + ":" + extra;
  };
  return {with("UBSAN_OPTIONS", "halt_on_error=0"),
          with("ASAN_OPTIONS", "fast_unwind_on_malloc=0")};
#else
  return {};
#endif
}

/// The patterns of the suppressions file named in UBSAN_OPTIONS
/// ("vptr:caf/intrusive/task_queue.hpp" gives "caf/intrusive/task_queue.hpp").
std::vector<std::string> ubsan_suppressed_files() {
  const char* options = std::getenv("UBSAN_OPTIONS");
  if (!options)
    return {};
  std::smatch m;
  std::string text{options};
  if (!std::regex_search(text, m, std::regex{"suppressions=([^:]+)"}))
    return {};
  std::ifstream file{m[1].str()};
  std::vector<std::string> patterns;
  for (std::string line; std::getline(file, line);)
    if (auto colon = line.find(':');
        !line.empty() && line[0] != '#' && colon != std::string::npos)
      patterns.push_back(line.substr(colon + 1));
  return patterns;
}

/// UBSan's reports in `output` other than those explained above: the
/// unreadable-memory vptr report, and reports at a location the
/// suppressions file covers (UBSan may have lost it).
int other_ubsan_reports(const std::string& output) {
  const std::regex report{"(\\S+): runtime error: "};
  const std::regex unreadable{
      "runtime error: member (access within|call on) address 0x[0-9a-f]+ which "
      "does not point to an object of type '[^']+'\n0x[0-9a-f]+: note: object "
      "has invalid vptr\n<memory cannot be printed>"};
  auto suppressed = ubsan_suppressed_files();
  auto count = [&](const std::regex& r) {
    return std::distance(std::sregex_iterator(output.begin(), output.end(), r),
                         std::sregex_iterator());
  };
  long covered = 0;
  for (std::sregex_iterator it{output.begin(), output.end(), report}, end;
       it != end; ++it)
    for (const auto& pattern : suppressed)
      if ((*it)[1].str().find(pattern) != std::string::npos) {
        ++covered;
        break;
      }
  return static_cast<int>(count(report) - count(unreadable) - covered);
}

} // namespace

TEST_CASE("running out of file descriptors does not stop the acceptor",
          "[e2e][process][connections]") {
  // 64 files in all, but no connection limit: accept() hits EMFILE.
  server_process proc{{"--port", "0", "--max-connections", "100000"},
                      64,
                      {},
                      sanitizers_without_descriptors()};
  auto port = proc.port();
  std::vector<std::unique_ptr<raw_socket>> flood;
  for (int i = 0; i < 100; ++i)
    flood.push_back(std::make_unique<raw_socket>(port));
  auto out = proc.read_until(std::regex{"accept failed"});
  CHECK(out.find("accept failed") != std::string::npos);
  flood.clear();
  // Files are free again: the server accepts and answers.
  bool served = false;
  for (int i = 0; i < 100 && !served; ++i) {
    try {
      served = http_get(port, "/healthz").status == 200;
    } catch (const std::exception&) {
    }
    if (!served)
      std::this_thread::sleep_for(50ms);
  }
  CHECK(served);
  proc.signal(SIGTERM);
  auto status = proc.wait_exit(5s);
  INFO(proc.output());
  CHECK(status == 0);
  CHECK(other_ubsan_reports(proc.output()) == 0);
}

TEST_CASE("a traced server stopped by SIGTERM leaves a complete trace, an "
          "unwritable trace path exits 1, and without the flag no file is "
          "written",
          "[e2e][process][trace]") {
  test::temp_dir dir;
  auto file = dir.path / "trace.jsonl";
  {
    server_process proc{{"--port", "0", "--trace", file.string()}};
    auto port = proc.port();
    ws_client alice{port, "/ws/alice"};
    alice.expect("welcome");
    alice.send_json({{"type", "say"}, {"msg", "hi"}});
    auto id = alice.expect("message")["id"];
    proc.signal(SIGTERM);
    CHECK(proc.wait_exit(5s) == 0);
    auto lines = test::read_lines(file);
    REQUIRE_FALSE(lines.empty());
    bool published = false;
    bool exited = false; // recorded in the last step of the stop
    for (const auto& l : lines) {
      auto j = json::parse(l, nullptr, false);
      REQUIRE_FALSE(j.is_discarded());
      published |= j["msg"] == "publish" && j["id"] == id;
      exited |= j["to"] == "registry" && j["msg"] == "exit";
    }
    CHECK(published);
    CHECK(exited);
  }
  {
    server_process proc{{"--port", "0", "--trace", "/nonexistent-dir/t.jsonl"}};
    auto out = proc.read_until(std::regex{"cannot start"});
    CHECK(out.find("cannot open trace file") != std::string::npos);
    CHECK(proc.wait_exit(5s) == 1);
  }
  std::filesystem::remove(file);
  {
    server_process proc{
        {"--port", "0", "--www", TEST_WWW_DIR}, 0, dir.path.string()};
    ws_client alice{proc.port(), "/ws/alice"};
    alice.expect("welcome");
    alice.send_json({{"type", "say"}, {"msg", "hi"}});
    alice.expect("message");
    proc.signal(SIGTERM);
    CHECK(proc.wait_exit(5s) == 0);
  }
  CHECK(std::filesystem::is_empty(dir.path));
}
