#include "actors/metrics.hpp"

#include <sstream>

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

namespace {

uint64_t get(const std::atomic<uint64_t>& x) {
  return x.load(std::memory_order_relaxed);
}

void header(std::ostringstream& out, const char* name, const char* type,
            const char* help) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type
      << '\n';
}

} // namespace

std::string metrics::render() const {
  std::ostringstream out;
  header(out, "chat_sessions", "gauge", "Logged-in chat sessions.");
  out << "chat_sessions " << sessions.load() << '\n';
  header(out, "chat_rooms", "gauge", "Rooms that exist, lobby included.");
  out << "chat_rooms " << rooms.load() << '\n';
  header(out, "chat_connections", "gauge", "Open WebSocket connections.");
  out << "chat_connections " << connections.load() << '\n';
  header(out, "chat_messages_total", "counter",
         "Chat messages accepted, by kind.");
  out << "chat_messages_total{kind=\"broadcast\"} " << get(broadcasts) << '\n'
      << "chat_messages_total{kind=\"private\"} " << get(privates) << '\n';
  header(out, "chat_deliveries_total", "counter",
         "Chat messages handed to a recipient's connection.");
  out << "chat_deliveries_total " << get(deliveries) << '\n';
  header(out, "chat_errors_total", "counter", "Error frames sent, by code.");
  for (size_t i = 0; i < errors.size(); ++i)
    out << "chat_errors_total{code=\"" << to_string(static_cast<error_code>(i))
        << "\"} " << get(errors[i]) << '\n';
  header(out, "chat_disconnects_total", "counter",
         "WebSocket connections ended, by reason.");
  for (size_t i = 0; i < disconnects.size(); ++i)
    out << "chat_disconnects_total{reason=\""
        << to_string(static_cast<disconnect_reason>(i)) << "\"} "
        << get(disconnects[i]) << '\n';
  return out.str();
}

} // namespace chat
