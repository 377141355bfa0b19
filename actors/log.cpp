#include "actors/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace chat::log {

namespace {

std::atomic<level> current{level::info};

const char* name(level lvl) {
  switch (lvl) {
  case level::error:
    return "error";
  case level::warn:
    return "warn";
  case level::info:
    return "info";
  case level::debug:
    return "debug";
  }
  return "?";
}

} // namespace

std::optional<level> parse_level(std::string_view text) {
  for (auto lvl : {level::error, level::warn, level::info, level::debug})
    if (text == name(lvl))
      return lvl;
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
