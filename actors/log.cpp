#include "actors/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "actors/enum_names.hpp"

namespace chat::log {

namespace {

std::atomic<level> current{level::info};

constexpr enum_name<level> level_names[] = {
    {level::error, "error"},
    {level::warn, "warn"},
    {level::info, "info"},
    {level::debug, "debug"},
};
static_assert(names_all(level_names), "a name for every level, in its order");

const char* name(level lvl) {
  return name_of(level_names, lvl, "?");
}

} // namespace

std::optional<level> parse_level(std::string_view text) {
  for (const auto& l : level_names)
    if (text == l.name)
      return l.value;
  return std::nullopt;
}

void set_level(level lvl) {
  current.store(lvl);
}

bool enabled(level lvl) {
  return lvl <= current.load();
}

void write(level lvl, std::string_view text) {
  if (!enabled(lvl))
    return;
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                now.time_since_epoch())
                .count() %
            1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  std::fprintf(stderr, "%s.%03dZ %-5s %.*s\n", stamp, static_cast<int>(ms),
               name(lvl), static_cast<int>(text.size()), text.data());
}

} // namespace chat::log
