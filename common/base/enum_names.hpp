#pragma once
// One two-way string table per enum: the only place where a state's name is
// spelled. Everything else holds the enum and asks the table for its name
// (JSON, D-Bus, the journal) or parses a name back (files, bus arguments).
#include <array>
#include <optional>
#include <string_view>
#include <utility>

namespace giflab {

template <typename E, size_t N>
struct EnumNames {
  std::array<std::pair<E, std::string_view>, N> table;

  constexpr std::string_view name(E value) const {
    for (const auto& [e, n] : table)
      if (e == value) return n;
    return {};
  }
  constexpr std::optional<E> parse(std::string_view text) const {
    for (const auto& [e, n] : table)
      if (n == text) return e;
    return std::nullopt;
  }
};

}  // namespace giflab
