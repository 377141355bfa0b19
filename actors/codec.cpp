#include "actors/codec.hpp"

#include <chrono>

#include "actors/validate.hpp"

namespace chat::codec {

using nlohmann::json;

namespace {

decode_error bad_request(std::string detail) {
  return {error_code::bad_request, std::move(detail)};
}

/// Whether no array or object in `text` lies deeper than `max` levels
/// (brackets inside strings do not count). Not a validator: the parser
/// judges the rest.
bool nesting_within(std::string_view text, std::size_t max) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i; // the escaped character cannot end the string
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max)
        return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

/// A private message's target: a user name by the login rules, or an
/// error (a name nobody can log in with is nobody's).
std::optional<decode_error> check_target(const std::string& to,
                                         const char* field) {
  if (is_valid_name(to))
    return std::nullopt;
  return decode_error{error_code::unknown_user,
                      std::string{"'"} + field +
                          "' is not a valid user name, so nobody has it"};
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

/// Reads the required field 'msg': valid UTF-8 of at most
/// `max_code_points`; sets `err` if it is not.
std::optional<std::string> msg_field(const json& obj,
                                     std::size_t max_code_points,
                                     std::optional<decode_error>& err) {
  auto msg = required_string(obj, "msg", err);
  if (!msg)
    return msg;
  auto len = utf8_length(*msg);
  if (!len)
    err = bad_request("'msg' is not valid UTF-8");
  else if (*len > max_code_points)
    err =
        decode_error{error_code::too_long, "'msg' has " + std::to_string(*len) +
                                               " code points; the limit is " +
                                               std::to_string(max_code_points)};
  return msg;
}

/// Reads the field 'room' (absent or null is nothing unless `required`): a
/// room name by the naming rules; sets `err` if it is not.
std::optional<std::string> room_field(const json& obj, bool required,
                                      std::optional<decode_error>& err) {
  auto room = required ? required_string(obj, "room", err)
                       : optional_string(obj, "room", err);
  if (room && !is_valid_name(*room))
    err = bad_request("room names are 1 to 32 code points, without "
                      "whitespace, control characters or '/'");
  return room;
}

decoded decode_message(const json& obj, std::size_t max_code_points,
                       bool typed_say) {
  std::optional<decode_error> err;
  auto msg = msg_field(obj, max_code_points, err);
  if (err)
    return *err;
  if (typed_say) {
    auto room = room_field(obj, false, err);
    if (err)
      return *err;
    return request{say_request{std::move(*msg), std::move(room)}};
  }
  // Seed format: an empty, missing or null to_user is a broadcast.
  auto to = optional_string(obj, "to_user", err);
  if (err)
    return *err;
  if (!to || to->empty())
    return request{say_request{std::move(*msg), std::nullopt}};
  if (auto e = check_target(*to, "to_user"))
    return *e;
  return request{whisper_request{std::move(*to), std::move(*msg)}};
}

} // namespace

decoded decode(std::string_view text, std::size_t max_msg_code_points) {
  // Before parsing: nlohmann parses and frees iteratively, but copies and
  // dumps recursively, so a deep value (a ping's id) would overflow the
  // stack later on.
  if (!nesting_within(text, max_nesting))
    return decode_error{error_code::bad_json, "JSON nested deeper than " +
                                                  std::to_string(max_nesting) +
                                                  " levels"};
  // A raw NUL is never valid JSON, and nlohmann's parser would take it for
  // the end of the input and ignore what follows.
  if (text.find('\0') != std::string_view::npos)
    return decode_error{error_code::bad_json, "a frame must not hold a NUL"};
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
    if (auto e = check_target(*to, "to"))
      return *e;
    auto msg = msg_field(obj, max_msg_code_points, err);
    if (err)
      return *err;
    return request{whisper_request{std::move(*to), std::move(*msg)}};
  }
  if (type == "join") {
    auto room = room_field(obj, true, err);
    if (err)
      return *err;
    return request{join_request{std::move(*room)}};
  }
  if (type == "users") {
    auto room = room_field(obj, false, err);
    if (err)
      return *err;
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
