// A cluster of real server processes on loopback, started by the chaos
// tool (and the tests) for node faults. Node i advertises a fault-injecting
// TCP proxy in front of its cluster port, so links made to it pass the
// proxy. The last node joins nobody, and of two nodes the one with the
// smaller name makes the link: every link of the last node is made by the
// others, through its proxy, and cutting that proxy cuts the node off. A
// node can also be SIGKILLed and restarted on its ports.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "net/held_port.hpp"
#include "server_url.hpp"
#include "tcp_proxy.hpp"

namespace bench {

struct local_cluster_options {
  std::string binary; // the actorchat executable
  int nodes = 3;
  double node_timeout = 2; // --node-timeout of every node
  /// More flags for every node (e.g. --heartbeat-timeout 3).
  std::vector<std::string> extra_args;
};

class local_cluster {
public:
  /// Starts the nodes n0..n(N-1) (2 to 10: names compare as the numbers
  /// do) and waits until each sees all; throws
  /// std::runtime_error if they do not meet within 30 s.
  explicit local_cluster(local_cluster_options o);
  ~local_cluster();

  int size() const { return static_cast<int>(nodes_.size()); }
  const local_cluster_options& options() const { return o_; }
  server_url url(int i) const { return {"127.0.0.1", http_ports_[i]}; }
  std::vector<server_url> urls() const;
  std::string name(int i) const { return "n" + std::to_string(i); }

  /// SIGKILL node i.
  void kill(int i);
  /// Starts node i again on its ports (it joins the others).
  void restart(int i);
  /// Resets the links made through node i's proxy and refuses new ones,
  /// until heal(i): for the last node, all of its links.
  void cut(int i);
  /// Keeps those links open but forwards nothing, until heal(i).
  void blackhole(int i);
  void heal(int i);

  /// Nodes node i sees up (chat_cluster_nodes), or -1 if it does not answer.
  double view(int i) const;
  /// Waits until each of `nodes` sees `n` nodes up.
  bool wait_view(const std::vector<int>& nodes, int n,
                 std::chrono::milliseconds timeout) const;
  /// What node i wrote to stderr (for a failure report).
  std::string output(int i) const;

private:
  void start(int i);

  local_cluster_options o_;
  /// Each node's cluster port, held for the cluster's lifetime: a node
  /// restarts on it, and no other socket takes it in between.
  std::vector<chat::net::held_port> cluster_ports_;
  std::vector<uint16_t> http_ports_;
  std::vector<std::unique_ptr<client::tcp_proxy>> proxies_;
  std::vector<std::unique_ptr<client::child_process>> nodes_;
};

} // namespace bench
