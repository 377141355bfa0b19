// The names of an enum's values (log levels, /metrics labels): one table
// an enum, each value with its name, checked at compile time to list every
// value once in the enum's order, so that a lookup is an index.
#pragma once

#include <cstddef>

namespace chat {

template <class Enum> struct enum_name {
  Enum value;
  const char* name;
};

/// Whether `table` names each value of its enum (those below Enum::count_)
/// once, in the enum's order.
template <class Enum, std::size_t N>
constexpr bool names_all(const enum_name<Enum> (&table)[N]) {
  if (N != static_cast<std::size_t>(Enum::count_))
    return false;
  for (std::size_t i = 0; i < N; ++i)
    if (static_cast<std::size_t>(table[i].value) != i)
      return false;
  return true;
}

/// The name of `value` in `table`, or `fallback` for a value past its end.
template <class Enum, std::size_t N>
constexpr const char* name_of(const enum_name<Enum> (&table)[N], Enum value,
                              const char* fallback = "unknown") {
  auto i = static_cast<std::size_t>(value);
  return i < N ? table[i].name : fallback;
}

} // namespace chat
