#include "net/ws_reader.hpp"

#include <algorithm>

#include "actors/protocol.hpp"
#include "actors/validate.hpp"
#include "net/ws_frame.hpp"

namespace chat::net {

namespace {

using namespace ws_frame; // opcodes
using namespace close_code;

constexpr std::size_t max_control_payload = 125;

/// Header length once its first two bytes are known: the extended length
/// and the mask key follow them.
std::size_t header_length(uint8_t second_byte) {
  auto len7 = second_byte & 0x7f;
  std::size_t n = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0);
  return (second_byte & 0x80) ? n + 4 : n;
}

} // namespace

bool is_valid_close_code(uint16_t code) {
  if (code >= 3000 && code <= 4999)
    return true; // registered and private codes
  return code >= 1000 && code <= 1014 && code != 1004 && code != 1005 &&
         code != 1006;
}

std::optional<ws_event> ws_reader::next(std::string_view& in) {
  while (!over_ && !in.empty()) {
    if (!in_payload_) {
      // The first two bytes, which give the header's length, then the rest.
      auto want = header_bytes_ < 2 ? 2 : header_length(header_[1]);
      auto take = std::min(want - header_bytes_, in.size());
      std::copy_n(in.data(), take, header_ + header_bytes_);
      header_bytes_ += static_cast<uint8_t>(take);
      in.remove_prefix(take);
      if (header_bytes_ < 2 || header_bytes_ < header_length(header_[1]))
        continue;
      if (auto ev = on_header())
        return ev;
      continue;
    }
    auto take =
        static_cast<std::size_t>(std::min<uint64_t>(payload_left_, in.size()));
    auto& into = (opcode_ & 0x8) ? control_ : message_;
    auto at = into.size();
    into.append(in.data(), take);
    for (std::size_t i = 0; i < take; ++i)
      into[at + i] =
          static_cast<char>(into[at + i] ^ mask_[(payload_at_ + i) & 3]);
    payload_at_ += take;
    payload_left_ -= take;
    in.remove_prefix(take);
    if (payload_left_ == 0)
      if (auto ev = on_frame_end())
        return ev;
  }
  return std::nullopt;
}

std::optional<ws_event> ws_reader::on_header() {
  header_bytes_ = 0;
  fin_ = header_[0] & 0x80;
  opcode_ = header_[0] & 0x0f;
  if (header_[0] & 0x70)
    return fail(protocol_error); // no extension was negotiated
  if (!(header_[1] & 0x80))
    return fail(protocol_error); // clients must mask (section 5.1)
  uint64_t length = header_[1] & 0x7f;
  std::size_t at = 2;
  if (length == 126) {
    length = (uint64_t{header_[2]} << 8) | header_[3];
    at = 4;
    if (length < 126)
      return fail(protocol_error); // not the shortest form
  } else if (length == 127) {
    length = 0;
    for (int i = 0; i < 8; ++i)
      length = (length << 8) | header_[2 + i];
    at = 10;
    if (length >> 63 || length <= 0xffff)
      return fail(protocol_error);
  }
  std::copy_n(header_ + at, 4, mask_);

  bool control = opcode_ & 0x8;
  if (control) {
    if (opcode_ != op_close && opcode_ != op_ping && opcode_ != op_pong)
      return fail(protocol_error);
    if (!fin_ || length > max_control_payload)
      return fail(protocol_error); // control frames are never split
    control_.clear();
  } else {
    if (opcode_ != op_continuation && opcode_ != op_text &&
        opcode_ != op_binary)
      return fail(protocol_error);
    // A continuation needs a message to continue; a new message must wait
    // for the previous one to end.
    if ((opcode_ == op_continuation) != (message_opcode_ != 0))
      return fail(protocol_error);
    if (length > max_message_ - message_.size())
      return fail(too_big);
    if (opcode_ != op_continuation)
      message_opcode_ = opcode_;
    // No reserve from the header: a client that sends a header and then
    // trickles its payload must not pin max-frame bytes for nothing. The
    // message grows with the bytes that really arrive.
  }
  in_payload_ = true;
  payload_left_ = length;
  payload_at_ = 0;
  if (length == 0)
    return on_frame_end();
  return std::nullopt;
}

std::optional<ws_event> ws_reader::on_frame_end() {
  in_payload_ = false;
  switch (opcode_) {
  case op_ping:
    return ws_event{ws_event::ping, std::move(control_)};
  case op_pong:
    return ws_event{ws_event::pong, std::move(control_)};
  case op_close: {
    over_ = true;
    if (control_.empty())
      return ws_event{ws_event::close, {}, 0};
    if (control_.size() == 1)
      return fail(protocol_error);
    auto code = static_cast<uint16_t>((static_cast<uint8_t>(control_[0]) << 8) |
                                      static_cast<uint8_t>(control_[1]));
    if (!is_valid_close_code(code))
      return fail(protocol_error);
    auto reason = control_.substr(2);
    if (!utf8_length(reason))
      return fail(bad_payload);
    return ws_event{ws_event::close, std::move(reason), code};
  }
  default:
    break;
  }
  if (!fin_)
    return std::nullopt; // more fragments follow
  auto kind = message_opcode_ == op_text ? ws_event::text : ws_event::binary;
  message_opcode_ = 0;
  ws_event ev{kind, std::move(message_)};
  message_ = std::string();
  if (kind == ws_event::text && !utf8_length(ev.payload))
    return fail(bad_payload);
  return ev;
}

std::optional<ws_event> ws_reader::fail(uint16_t code) {
  over_ = true;
  // Swapped, not assigned: assigning an empty string keeps the heap block.
  std::string().swap(message_);
  std::string().swap(control_);
  return ws_event{ws_event::fail, {}, code};
}

} // namespace chat::net
