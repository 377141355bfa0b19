#include "slow_reader.hpp"

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

namespace client {

slow_reader::slow_reader(const std::string& host, uint16_t port,
                         const std::string& name)
    : sock_(host, port, 4096) {
  sock_.upgrade("/ws/" + name);
}

void slow_reader::send_text(const std::string& text) {
  sock_.send(ws_frame(op_text, text));
}

void slow_reader::read_some() {
  bytes_ += sock_.recv_some(std::chrono::milliseconds{10});
  take_frames();
}

bool slow_reader::drain(std::chrono::milliseconds timeout) {
  bool ended = sock_.wait_eof(timeout, &bytes_);
  take_frames();
  return ended;
}

void slow_reader::take_frames() {
  while (auto f = take_frame(bytes_)) {
    if (f->opcode == op_close)
      close_ = close_code(*f);
    if (f->opcode == op_ping)
      sock_.send(ws_frame(op_pong, f->payload));
    if (f->opcode != op_text)
      continue;
    auto j = nlohmann::json::parse(f->payload, nullptr, false);
    if (j.is_object() && j.value("type", "") == "message")
      ++messages_;
  }
}

void slow_reader::tick() {
  std::this_thread::sleep_for(std::chrono::milliseconds{100});
  read_some();
}

} // namespace client
