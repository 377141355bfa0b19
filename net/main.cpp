// actorchat: an actor-model WebSocket chat server.
#include <csignal>
#include <cstdio>
#include <exception>

#include <pthread.h>

#include "actors/log.hpp"
#include "net/chat_server.hpp"
#include "net/options.hpp"

int main(int argc, char** argv) {
  using namespace chat::net;
  auto parsed = parse_options(argc, argv);
  if (auto* help = std::get_if<help_requested>(&parsed)) {
    std::fputs(help->text.c_str(), stdout);
    return 0;
  }
  if (auto* bad = std::get_if<bad_options>(&parsed)) {
    std::fprintf(stderr, "actorchat: %s\n", bad->message.c_str());
    return 2;
  }
  const auto& opts = std::get<server_options>(parsed);
  // Block the stop signals in every thread (threads inherit the mask), then
  // wait for one here: the shutdown runs in plain code, not a handler.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  try {
    chat_server server{opts};
    int sig = 0;
    sigwait(&stop_signals, &sig);
    chat::log::info(sig == SIGINT ? "SIGINT received" : "SIGTERM received");
    server.stop();
  } catch (const std::exception& e) {
    chat::log::error(std::string{"cannot start: "} + e.what());
    return 1;
  }
  return 0;
}
