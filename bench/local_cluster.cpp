#include "local_cluster.hpp"

#include <regex>
#include <stdexcept>
#include <thread>

#include "server_metrics.hpp"

namespace bench {

using namespace std::chrono_literals;

namespace {

std::string loopback(uint16_t port) {
  return "127.0.0.1:" + std::to_string(port);
}

} // namespace

local_cluster::local_cluster(local_cluster_options o)
    : o_(std::move(o)), cluster_ports_(o_.nodes), http_ports_(o_.nodes, 0),
      nodes_(o_.nodes) {
  if (o_.nodes < 2 || o_.nodes > 10)
    throw std::invalid_argument("a local cluster has 2 to 10 nodes");
  for (int i = 0; i < o_.nodes; ++i) {
    cluster_ports_[i] = chat::net::held_port::pick("127.0.0.1");
    proxies_.push_back(
        std::make_unique<client::tcp_proxy>(cluster_ports_[i].port()));
  }
  for (int i = 0; i < o_.nodes; ++i)
    start(i);
  std::vector<int> all;
  for (int i = 0; i < o_.nodes; ++i)
    all.push_back(i);
  if (!wait_view(all, o_.nodes, 30s))
    throw std::runtime_error("local_cluster: the nodes did not meet:\n" +
                             output(0));
}

local_cluster::~local_cluster() {
  nodes_.clear(); // before the proxies they talk through
}

void local_cluster::start(int i) {
  std::vector<std::string> args{"--port",
                                std::to_string(http_ports_[i]),
                                "--cluster-port",
                                std::to_string(cluster_ports_[i].port()),
                                "--cluster-advertise",
                                loopback(proxies_[i]->port()),
                                "--node-name",
                                name(i),
                                "--node-timeout",
                                std::to_string(o_.node_timeout),
                                "--log-level",
                                "info"};
  // The last node joins nobody (see above); the others retry it until up.
  std::string join;
  for (int k = 0; k < size() && i != size() - 1; ++k)
    if (k != i)
      join += (join.empty() ? "" : ",") + loopback(proxies_[k]->port());
  if (!join.empty()) {
    args.push_back("--join");
    args.push_back(join);
  }
  args.insert(args.end(), o_.extra_args.begin(), o_.extra_args.end());
  client::child_options co;
  co.max_output = 1u << 20; // a chaos run is long: keep the first MiB
  auto& node = *(
      nodes_[i] = std::make_unique<client::child_process>(o_.binary, args, co));
  static const std::regex listening{
      "listening on http://127\\.0\\.0\\.1:(\\d+)"};
  auto port = node.find_port(listening, 10s);
  if (!port)
    throw std::runtime_error("node " + name(i) + " did not log its port" +
                             (node.exited() ? " (it exited)" : "") + ":\n" +
                             node.output());
  http_ports_[i] = *port;
}

std::vector<server_url> local_cluster::urls() const {
  std::vector<server_url> out;
  for (int i = 0; i < size(); ++i)
    out.push_back(url(i));
  return out;
}

void local_cluster::kill(int i) {
  nodes_[i]->kill();
}

void local_cluster::restart(int i) {
  nodes_[i].reset();
  start(i);
}

void local_cluster::cut(int i) {
  proxies_[i]->cut();
}

void local_cluster::blackhole(int i) {
  proxies_[i]->blackhole();
}

void local_cluster::heal(int i) {
  proxies_[i]->heal();
}

double local_cluster::view(int i) const {
  try {
    return server_metric("127.0.0.1", http_ports_[i], "chat_cluster_nodes");
  } catch (const std::exception&) {
    return -1;
  }
}

bool local_cluster::wait_view(const std::vector<int>& nodes, int n,
                              std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (int i : nodes)
    while (view(i) != n) {
      if (std::chrono::steady_clock::now() > deadline)
        return false;
      std::this_thread::sleep_for(20ms);
    }
  return true;
}

std::string local_cluster::output(int i) const {
  return nodes_[i] ? nodes_[i]->output() : std::string{};
}

} // namespace bench
