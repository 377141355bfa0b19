// A TCP proxy on loopback that can fail on purpose, for tests and the
// chaos tool: it forwards every connection to a target until told to cut
// the link (every connection reset, new ones refused) or to blackhole it
// (connections stay open and bytes go nowhere, as on a dead network path).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace client {

class tcp_proxy {
public:
  /// Listens on an ephemeral loopback port, forwarding to 127.0.0.1:target.
  explicit tcp_proxy(uint16_t target);
  ~tcp_proxy();

  tcp_proxy(const tcp_proxy&) = delete;
  tcp_proxy& operator=(const tcp_proxy&) = delete;

  uint16_t port() const noexcept { return port_; }

  /// Resets every connection and refuses new ones until heal().
  void cut();
  /// Keeps connections open but forwards nothing, and holds new ones open
  /// unforwarded too, until heal().
  void blackhole();
  /// Forwards again; connections from before are closed (their peers gave
  /// up on them), new ones are forwarded.
  void heal();

  /// Bytes forwarded so far, both ways.
  uint64_t bytes() const noexcept { return bytes_.load(); }

private:
  enum class mode { forward, cut, blackhole };
  struct pipe {
    int client = -1, server = -1;
  };
  void run();
  void close_all(bool reset);

  uint16_t target_;
  uint16_t port_ = 0;
  int listener_ = -1;
  int wake_[2] = {-1, -1};
  std::atomic<mode> mode_{mode::forward};
  std::atomic<bool> stop_{false};
  std::atomic<bool> drop_all_{false};
  std::atomic<uint64_t> bytes_{0};
  std::vector<pipe> pipes_; // the proxy thread's own
  std::thread thread_;
};

} // namespace client
