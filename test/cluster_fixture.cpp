#include "cluster_fixture.hpp"

#include <algorithm>
#include <csignal>
#include <thread>

#include <catch2/catch.hpp>

#include "e2e.hpp"
#include "server_metrics.hpp"

namespace test {

bool saw_gone(client::ws_client& c, const std::string& user,
              std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto f = c.recv(std::chrono::milliseconds(50));
    if (!f || (*f)["type"] != "presence")
      continue;
    if ((*f)["event"] == "leave" && (*f)["user"] == user)
      return true;
    if ((*f)["event"] == "reset") {
      auto users = (*f)["users"];
      if (std::find(users.begin(), users.end(), user) == users.end())
        return true;
    }
  }
  return false;
}

cluster_fixture::cluster_fixture(int n, double timeout_s,
                                 std::vector<std::string> extra)
    : timeout_s_(timeout_s), extra_(std::move(extra)), nodes_(n),
      alive_(n, false), http_ports_(n, 0), cluster_ports_(n, 0) {
  for (int i = 0; i < n; ++i)
    start(i);
  REQUIRE(wait_view(n));
}

void cluster_fixture::start(int i) {
  std::vector<std::string> args{
      "--port",         std::to_string(http_ports_[i]),
      "--cluster-port", std::to_string(cluster_ports_[i]),
      "--node-name",    "n" + std::to_string(i),
      "--node-timeout", std::to_string(timeout_s_),
      "--www",          TEST_WWW_DIR,
      "--log-level",    "info"};
  // Every node joins every other it knows of; the first has none yet.
  std::string join;
  for (int k = 0; k < size(); ++k)
    if (k != i && cluster_ports_[k])
      join += (join.empty() ? "" : ",") + std::string{"127.0.0.1:"} +
              std::to_string(cluster_ports_[k]);
  if (!join.empty()) {
    args.push_back("--join");
    args.push_back(join);
  }
  // "{i}" in an extra argument stands for the node's index (its own files).
  for (auto arg : extra_) {
    for (auto at = arg.find("{i}"); at != std::string::npos;
         at = arg.find("{i}"))
      arg.replace(at, 3, std::to_string(i));
    args.push_back(std::move(arg));
  }
  nodes_[i] = std::make_unique<server_process>(args);
  alive_[i] = true;
  http_ports_[i] = nodes_[i]->port();
  cluster_ports_[i] = nodes_[i]->logged_port(
      "node n" + std::to_string(i) + " listening for nodes on [^:]+:(\\d+)");
}

std::unique_ptr<client::ws_client>
cluster_fixture::login(int i, const std::string& name) {
  return test::login(http_ports_[i], name, 10s);
}

double cluster_fixture::metric(int i, const std::string& sample) const {
  try {
    return bench::server_metric("127.0.0.1", http_ports_[i], sample);
  } catch (const std::exception&) {
    return -1;
  }
}

bool cluster_fixture::wait_metric(int i, const std::string& sample,
                                  double value,
                                  std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (metric(i, sample) != value) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

void cluster_fixture::kill(int i) {
  nodes_[i]->signal(SIGKILL);
  nodes_[i]->wait_exit(5s);
  alive_[i] = false;
}

void cluster_fixture::restart(int i) {
  nodes_[i].reset();
  start(i);
}

bool cluster_fixture::wait_view(int n, std::chrono::milliseconds timeout) {
  for (int i = 0; i < size(); ++i)
    if (alive_[i] && !wait_metric(i, "chat_cluster_nodes", n, timeout))
      return false;
  return true;
}

} // namespace test
