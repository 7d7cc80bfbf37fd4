#pragma once
// The daemon's own log lines: to the journal when systemd started us
// (JOURNAL_STREAM, with a PRIORITY per line), else to stderr with a time
// and a level. Structured entries with a MESSAGE_ID are journal.hpp's.
// Small on purpose: the idle daemon's footprint is a goal (bench/RESULTS.md),
// and a logging library's shared object cost half a megabyte of it.
#include <fmt/format.h>

#include <string_view>
#include <utility>

namespace giflab::daemon {

enum class LogLevel { Debug, Info, Warning, Error, Critical };

void setupLogging(bool debug);
bool logEnabled(LogLevel level);
void writeLog(LogLevel level, std::string_view message);

template <class... Args>
void logAt(LogLevel level, fmt::format_string<Args...> format, Args&&... args) {
  if (logEnabled(level)) writeLog(level, fmt::format(format, std::forward<Args>(args)...));
}
template <class... Args>
void logInfo(fmt::format_string<Args...> format, Args&&... args) {
  logAt(LogLevel::Info, format, std::forward<Args>(args)...);
}
template <class... Args>
void logWarning(fmt::format_string<Args...> format, Args&&... args) {
  logAt(LogLevel::Warning, format, std::forward<Args>(args)...);
}
template <class... Args>
void logError(fmt::format_string<Args...> format, Args&&... args) {
  logAt(LogLevel::Error, format, std::forward<Args>(args)...);
}
template <class... Args>
void logCritical(fmt::format_string<Args...> format, Args&&... args) {
  logAt(LogLevel::Critical, format, std::forward<Args>(args)...);
}

}  // namespace giflab::daemon
