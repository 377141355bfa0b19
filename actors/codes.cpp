#include "actors/codes.hpp"

namespace chat {

const char* to_string(error_code c) {
  switch (c) {
  case error_code::bad_json:
    return "bad_json";
  case error_code::bad_request:
    return "bad_request";
  case error_code::unknown_user:
    return "unknown_user";
  case error_code::too_long:
    return "too_long";
  case error_code::rate_limited:
    return "rate_limited";
  case error_code::unsupported:
    return "unsupported";
  case error_code::bad_username:
    return "bad_username";
  case error_code::name_taken:
    return "name_taken";
  case error_code::unavailable:
    return "unavailable";
  case error_code::count_:
    break;
  }
  return "unknown";
}

const char* to_string(disconnect_reason r) {
  switch (r) {
  case disconnect_reason::client_close:
    return "client_close";
  case disconnect_reason::reset:
    return "reset";
  case disconnect_reason::timeout:
    return "timeout";
  case disconnect_reason::too_big:
    return "too_big";
  case disconnect_reason::bad_utf8:
    return "bad_utf8";
  case disconnect_reason::protocol_error:
    return "protocol_error";
  case disconnect_reason::slow_consumer:
    return "slow_consumer";
  case disconnect_reason::refused:
    return "refused";
  case disconnect_reason::shutdown:
    return "shutdown";
  case disconnect_reason::server_error:
    return "server_error";
  case disconnect_reason::count_:
    break;
  }
  return "unknown";
}

} // namespace chat
