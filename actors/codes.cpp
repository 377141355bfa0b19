#include "actors/codes.hpp"

#include "actors/enum_names.hpp"

namespace chat {

namespace {

constexpr enum_name<error_code> error_code_names[] = {
    {error_code::bad_json, "bad_json"},
    {error_code::bad_request, "bad_request"},
    {error_code::unknown_user, "unknown_user"},
    {error_code::too_long, "too_long"},
    {error_code::rate_limited, "rate_limited"},
    {error_code::unsupported, "unsupported"},
    {error_code::bad_username, "bad_username"},
    {error_code::name_taken, "name_taken"},
    {error_code::unavailable, "unavailable"},
};
static_assert(names_all(error_code_names),
              "a name for every error_code, in its order");

constexpr enum_name<disconnect_reason> disconnect_reason_names[] = {
    {disconnect_reason::client_close, "client_close"},
    {disconnect_reason::reset, "reset"},
    {disconnect_reason::timeout, "timeout"},
    {disconnect_reason::too_big, "too_big"},
    {disconnect_reason::bad_utf8, "bad_utf8"},
    {disconnect_reason::protocol_error, "protocol_error"},
    {disconnect_reason::slow_consumer, "slow_consumer"},
    {disconnect_reason::refused, "refused"},
    {disconnect_reason::shutdown, "shutdown"},
    {disconnect_reason::server_error, "server_error"},
};
static_assert(names_all(disconnect_reason_names),
              "a name for every disconnect_reason, in its order");

} // namespace

const char* to_string(error_code c) {
  return name_of(error_code_names, c);
}

const char* to_string(disconnect_reason r) {
  return name_of(disconnect_reason_names, r);
}

} // namespace chat
