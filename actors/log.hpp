// A minimal leveled logger to stderr: one write per line, so lines from
// different threads never interleave. The level is set once at start-up.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace chat::log {

enum class level { error, warn, info, debug, count_ };

std::optional<level> parse_level(std::string_view name);
void set_level(level lvl);
bool enabled(level lvl);
void write(level lvl, std::string_view text);

inline void error(std::string_view text) {
  write(level::error, text);
}
inline void warn(std::string_view text) {
  write(level::warn, text);
}
inline void info(std::string_view text) {
  write(level::info, text);
}
inline void debug(std::string_view text) {
  if (enabled(level::debug))
    write(level::debug, text);
}

} // namespace chat::log
