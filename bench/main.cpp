// actorchat-bench: tools to test a chat server speaking PROTOCOL.md.
//   actorchat-bench chaos URL [options]   fault injection with observers
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <string>

#include <unistd.h>

#include "chaos.hpp"

namespace {

const char* usage = R"(usage: actorchat-bench chaos URL [options]

Runs rounds of randomly chosen client faults against the chat server at URL
(http://HOST:PORT or ws://HOST:PORT) while a talker broadcasts numbered
messages in a room of its own and observers check that none is lost.

options (--flag VALUE or --flag=VALUE):
  --rounds N        fault rounds (default 100)
  --seed S          random seed, for replay (default: random, printed)
  --kinds LIST      comma-separated subset of: reset, fin_mid_frame,
                    half_open, never_read, cut_handshake, cut_http
                    (default: all)
  --observers N     observer clients (default 2)
  --rate R          talker messages per second, under the server's rate
                    limit (default 10)
  --settle SECONDS  how long to wait for the server to drop faulted sessions;
                    at least its heartbeat timeout (default 70)
  --json FILE       also write the report as JSON to FILE ("-": stdout)
  --quiet           no progress line

exit status: 0 when nothing was lost, leaked or refused a new login.
)";

bool parse_url(const std::string& url, std::string& host, uint16_t& port) {
  auto rest = url;
  for (const char* scheme : {"http://", "ws://"})
    if (rest.rfind(scheme, 0) == 0)
      rest = rest.substr(std::string{scheme}.size());
  rest = rest.substr(0, rest.find('/'));
  auto colon = rest.rfind(':');
  if (colon == std::string::npos) {
    host = rest;
    port = 80;
    return !host.empty();
  }
  host = rest.substr(0, colon);
  try {
    auto p = std::stoi(rest.substr(colon + 1));
    if (p <= 0 || p > 65535)
      return false;
    port = static_cast<uint16_t>(p);
  } catch (...) {
    return false;
  }
  return !host.empty();
}

int fail(const std::string& msg) {
  std::cerr << "actorchat-bench: " << msg << "\n";
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << usage;
    return args.empty() ? 2 : 0;
  }
  if (args[0] != "chaos")
    return fail("unknown mode '" + args[0] + "' (see --help)");
  bench::chaos_options opts;
  opts.seed = std::random_device{}();
  std::string json_file;
  bool quiet = false;
  bool have_url = false;
  try {
    for (std::size_t i = 1; i < args.size(); ++i) {
      auto arg = args[i];
      if (arg.rfind("--", 0) != 0) {
        if (have_url || !parse_url(arg, opts.host, opts.port))
          return fail("bad URL '" + arg + "'");
        have_url = true;
        continue;
      }
      if (arg == "--quiet") {
        quiet = true;
        continue;
      }
      std::string name = arg, value;
      if (auto eq = arg.find('='); eq != std::string::npos) {
        name = arg.substr(0, eq);
        value = arg.substr(eq + 1);
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return fail(name + " needs a value");
      }
      if (name == "--rounds")
        opts.rounds = std::stoi(value);
      else if (name == "--seed")
        opts.seed = std::stoull(value);
      else if (name == "--kinds")
        opts.kinds = bench::parse_kinds(value);
      else if (name == "--observers")
        opts.observers = std::stoi(value);
      else if (name == "--rate")
        opts.talk_rate = std::stod(value);
      else if (name == "--settle")
        opts.settle = std::chrono::milliseconds(
            static_cast<long>(std::stod(value) * 1000));
      else if (name == "--json")
        json_file = value;
      else
        return fail("unknown option " + name + " (see --help)");
    }
  } catch (const std::exception& e) {
    return fail(std::string{"bad option value: "} + e.what());
  }
  if (!have_url)
    return fail("missing URL (see --help)");
  if (opts.rounds < 1 || opts.observers < 1 || opts.talk_rate <= 0)
    return fail("--rounds, --observers and --rate must be positive");

  bool tty = ::isatty(STDERR_FILENO);
  auto progress = [&](const std::string& line) {
    if (quiet)
      return;
    if (tty)
      std::cerr << "\r\033[K" << line << std::flush;
    else
      std::cerr << line << '\n';
  };
  bench::chaos_report report;
  try {
    report = bench::run_chaos(opts, progress);
  } catch (const std::exception& e) {
    if (tty && !quiet)
      std::cerr << '\n';
    return fail(std::string{"cannot run against the server: "} + e.what());
  }
  if (tty && !quiet)
    std::cerr << "\r\033[K";
  std::cout << bench::to_text(report);
  if (json_file == "-")
    std::cout << bench::to_json(report) << '\n';
  else if (!json_file.empty())
    std::ofstream{json_file} << bench::to_json(report) << '\n';
  bool clean = report.observer_messages_lost == 0 &&
               report.observer_out_of_order == 0 &&
               report.sessions_leaked == 0 && report.relogin_failed == 0;
  return clean ? 0 : 1;
}
