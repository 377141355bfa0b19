#include "actors/codec.hpp"

#include <chrono>

#include "actors/validate.hpp"

namespace chat::codec {

using nlohmann::json;

namespace {

decode_error bad_request(std::string detail) {
  return {error_code::bad_request, std::move(detail)};
}

/// Reads a required string field; sets `err` if it is missing or not a string.
std::optional<std::string> required_string(const json& obj, const char* key,
                                           std::optional<decode_error>& err) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) {
    err = bad_request(std::string{"field '"} + key + "' must be a string");
    return std::nullopt;
  }
  return it->get<std::string>();
}

/// Reads an optional string field: absent or null is nothing, a string is
/// itself, anything else sets `err`.
std::optional<std::string> optional_string(const json& obj, const char* key,
                                           std::optional<decode_error>& err) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null())
    return std::nullopt;
  if (!it->is_string()) {
    err = bad_request(std::string{"field '"} + key +
                      "' must be a string when present");
    return std::nullopt;
  }
  return it->get<std::string>();
}

/// Checks the length of `msg`; returns an error if it is over the limit.
std::optional<decode_error> check_msg(const std::string& msg,
                                      std::size_t max_code_points) {
  auto len = utf8_length(msg);
  if (!len)
    return bad_request("'msg' is not valid UTF-8");
  if (*len > max_code_points)
    return decode_error{error_code::too_long,
                        "'msg' has " + std::to_string(*len) +
                            " code points; the limit is " +
                            std::to_string(max_code_points)};
  return std::nullopt;
}

std::optional<decode_error> check_room(const std::optional<std::string>& room) {
  if (room && !is_valid_name(*room))
    return bad_request("room names are 1 to 32 code points, without "
                       "whitespace, control characters or '/'");
  return std::nullopt;
}

decoded decode_message(const json& obj, std::size_t max_code_points,
                       bool typed_say) {
  std::optional<decode_error> err;
  auto msg = required_string(obj, "msg", err);
  if (err)
    return *err;
  if (auto e = check_msg(*msg, max_code_points))
    return *e;
  if (typed_say) {
    auto room = optional_string(obj, "room", err);
    if (err)
      return *err;
    if (auto e = check_room(room))
      return *e;
    return request{say_request{std::move(*msg), std::move(room)}};
  }
  // Seed format: an empty, missing or null to_user is a broadcast.
  auto to = optional_string(obj, "to_user", err);
  if (err)
    return *err;
  if (!to || to->empty())
    return request{say_request{std::move(*msg), std::nullopt}};
  return request{whisper_request{std::move(*to), std::move(*msg)}};
}

} // namespace

decoded decode(std::string_view text, std::size_t max_msg_code_points) {
  auto obj = json::parse(text, nullptr, false);
  if (obj.is_discarded() || !obj.is_object())
    return decode_error{error_code::bad_json, "a frame must be a JSON object"};
  auto type_it = obj.find("type");
  if (type_it == obj.end() || type_it->is_null())
    return decode_message(obj, max_msg_code_points, false);
  if (!type_it->is_string())
    return bad_request("field 'type' must be a string");
  const auto& type = type_it->get_ref<const std::string&>();
  std::optional<decode_error> err;
  if (type == "say")
    return decode_message(obj, max_msg_code_points, true);
  if (type == "whisper") {
    auto to = required_string(obj, "to", err);
    if (err)
      return *err;
    if (to->empty())
      return bad_request("field 'to' must name a user");
    auto msg = required_string(obj, "msg", err);
    if (err)
      return *err;
    if (auto e = check_msg(*msg, max_msg_code_points))
      return *e;
    return request{whisper_request{std::move(*to), std::move(*msg)}};
  }
  if (type == "join") {
    auto room = required_string(obj, "room", err);
    if (err)
      return *err;
    if (auto e = check_room(room))
      return *e;
    return request{join_request{std::move(*room)}};
  }
  if (type == "users") {
    auto room = optional_string(obj, "room", err);
    if (err)
      return *err;
    if (auto e = check_room(room))
      return *e;
    return request{users_request{std::move(room)}};
  }
  if (type == "ping") {
    auto id = obj.find("id");
    return request{ping_request{id == obj.end() ? json{} : *id}};
  }
  return bad_request("unknown type '" + type + "'");
}

namespace {

std::string dump(const json& j) {
  // Inputs are validated UTF-8; `replace` keeps a bug from ever throwing.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

} // namespace

std::string encode(const chat_message& m) {
  return dump(json{{"type", "message"},
                   {"id", m.id},
                   {"ts", m.ts_ms},
                   {"from_user", m.from_user},
                   {"to_user", m.to_user},
                   {"room", m.room},
                   {"msg", m.msg}});
}

std::string encode_welcome(std::string_view user, std::string_view room,
                           const std::vector<std::string>& users) {
  return dump(json{
      {"type", "welcome"}, {"user", user}, {"room", room}, {"users", users}});
}

std::string encode_presence(std::string_view event, std::string_view user,
                            std::string_view room) {
  return dump(json{
      {"type", "presence"}, {"event", event}, {"user", user}, {"room", room}});
}

std::string encode_reset(std::string_view room,
                         const std::vector<std::string>& users) {
  return dump(json{{"type", "presence"},
                   {"event", "reset"},
                   {"room", room},
                   {"users", users}});
}

std::string encode_users(std::string_view room,
                         const std::vector<std::string>& users) {
  return dump(json{{"type", "users"}, {"room", room}, {"users", users}});
}

std::string encode_pong(const json& id) {
  return dump(json{{"type", "pong"}, {"id", id}});
}

std::string encode_error(error_code code, std::string_view detail) {
  return dump(
      json{{"type", "error"}, {"code", to_string(code)}, {"detail", detail}});
}

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
      .count();
}

} // namespace chat::codec
