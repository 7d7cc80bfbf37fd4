#pragma once
// The daemon's own log lines: to the journal when systemd started us
// (JOURNAL_STREAM, with a PRIORITY per line), else to stderr with a time
// and a level. Structured entries with a MESSAGE_ID are journal.hpp's.
// Small on purpose: the idle daemon's footprint is a goal (bench/RESULTS.md),
// and a logging library's shared object cost half a megabyte of it (spdlog),
// a formatting library's 128 kB (fmt).
#include <concepts>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace giflab::daemon {

enum class LogLevel { Debug, Info, Warning, Error, Critical };

void setupLogging(bool debug);
bool logEnabled(LogLevel level);
void writeLog(LogLevel level, std::string_view message);

// A log line's text with "{}" for each argument, counted at compile time
// (a mismatch does not build). No format specs: a line is for a person, and
// a formatting library's shared object cost the idle daemon 128 kB.
constexpr size_t countPlaceholders(std::string_view text) {
  size_t n = 0;
  for (size_t at = text.find("{}"); at != std::string_view::npos; at = text.find("{}", at + 2)) ++n;
  return n;
}
template <class... Args>
struct LogFormat {
  template <class S>
    requires std::convertible_to<const S&, std::string_view>
  consteval LogFormat(const S& s) : text(s) {  // NOLINT: implicit, as a string literal is passed
    if (countPlaceholders(text) != sizeof...(Args)) throw "a log line has a different number of {} than arguments";
  }
  std::string_view text;
};

// Each "{}" of text replaced by the next argument.
std::string substitute(std::string_view text, const std::vector<std::string>& args);
template <class T>
std::string logText(const T& value) {
  if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    return std::string(std::string_view(value));
  } else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char>) {
    return std::to_string(value);
  } else {
    std::ostringstream out;
    out << std::boolalpha << value;
    return out.str();
  }
}

template <class... Args>
void logAt(LogLevel level, LogFormat<std::type_identity_t<Args>...> format, const Args&... args) {
  if (logEnabled(level)) writeLog(level, substitute(format.text, {logText(args)...}));
}
template <class... Args>
void logInfo(LogFormat<std::type_identity_t<Args>...> format, const Args&... args) {
  logAt<Args...>(LogLevel::Info, format, args...);
}
template <class... Args>
void logWarning(LogFormat<std::type_identity_t<Args>...> format, const Args&... args) {
  logAt<Args...>(LogLevel::Warning, format, args...);
}
template <class... Args>
void logError(LogFormat<std::type_identity_t<Args>...> format, const Args&... args) {
  logAt<Args...>(LogLevel::Error, format, args...);
}
template <class... Args>
void logCritical(LogFormat<std::type_identity_t<Args>...> format, const Args&... args) {
  logAt<Args...>(LogLevel::Critical, format, args...);
}

}  // namespace giflab::daemon
