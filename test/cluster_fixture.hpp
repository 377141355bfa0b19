// Several real server processes on loopback forming one cluster, for tests
// of PROTOCOL.md "Cluster": start, kill, restart and wait for the view.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "server_process.hpp"
#include "ws_client.hpp"

namespace test {

/// Waits until `c` learns that `user` is no longer in its room: a `leave`,
/// or a `reset` (its room restarted elsewhere) without `user`.
bool saw_gone(client::ws_client& c, const std::string& user,
              std::chrono::milliseconds timeout);

class cluster_fixture {
public:
  /// Starts `n` nodes named n0, n1... with `--node-timeout timeout_s`; all
  /// but the first join the first; returns once every node sees all.
  /// `extra` goes to every node, "{i}" in it replaced by the node's index.
  explicit cluster_fixture(int n, double timeout_s = 2,
                           std::vector<std::string> extra = {});

  int size() const { return static_cast<int>(nodes_.size()); }
  uint16_t http_port(int i) const { return http_ports_[i]; }
  uint16_t cluster_port(int i) const { return cluster_ports_[i]; }
  server_process& process(int i) { return *nodes_[i]; }

  /// A client of node `i` logged in as `name`, its welcome read.
  std::unique_ptr<client::ws_client> login(int i, const std::string& name);

  /// The value of a /metrics sample on node `i` (-1 if unreachable).
  double metric(int i, const std::string& sample) const;
  /// Waits until node `i` reports `value` for `sample`.
  bool wait_metric(int i, const std::string& sample, double value,
                   std::chrono::milliseconds timeout = 10s) const;

  /// SIGKILL: the node dies without a word.
  void kill(int i);
  /// Starts node `i` again on its ports, joining the others.
  void restart(int i);
  /// Waits until every running node sees `n` nodes up.
  bool wait_view(int n, std::chrono::milliseconds timeout = 15s);

private:
  void start(int i);

  double timeout_s_;
  std::vector<std::string> extra_;
  std::vector<std::unique_ptr<server_process>> nodes_;
  std::vector<bool> alive_;
  std::vector<uint16_t> http_ports_, cluster_ports_;
};

} // namespace test
