// A WebSocket client that reads slowly: 4 KiB per call of read_some, with a
// small receive buffer, answering the pings it reaches. It stands for a
// reader on a bad link, which the server must keep while it answers in time
// and close as a slow consumer once it cannot.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "raw_socket.hpp"

namespace client {

class slow_reader {
public:
  /// Logs in as `name` at host:port.
  slow_reader(const std::string& host, uint16_t port, const std::string& name);
  slow_reader(uint16_t port, const std::string& name)
      : slow_reader("127.0.0.1", port, name) {}

  /// Sends a text frame (e.g. a join).
  void send_text(const std::string& text);
  /// One read of at most 4 KiB, then handles the frames it completed.
  void read_some();
  /// Sleeps 100 ms, then read_some(): 40 KiB/s at the most.
  void tick();
  /// Reads at full speed until the server ends the connection (true) or
  /// `timeout` passes: what a reader that fell behind finds at the end.
  bool drain(std::chrono::milliseconds timeout);

  /// Chat messages (`"type":"message"`) read so far.
  int messages() const { return messages_; }
  /// The server's close code, 0 while it has not closed.
  uint16_t close() const { return close_; }

private:
  void take_frames();

  raw_socket sock_;
  std::string bytes_;
  int messages_ = 0;
  uint16_t close_ = 0;
};

} // namespace client
