#include "daemon/logging.hpp"

#include <sys/stat.h>
#include <syslog.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

namespace giflab::daemon {

namespace {

struct Settings {
  bool toJournal = false;
  bool colour = false;
  LogLevel least = LogLevel::Info;
};
Settings settings;

int priorityOf(LogLevel level) {
  switch (level) {
    case LogLevel::Debug: return LOG_DEBUG;
    case LogLevel::Info: return LOG_INFO;
    case LogLevel::Warning: return LOG_WARNING;
    case LogLevel::Error: return LOG_ERR;
    case LogLevel::Critical: return LOG_CRIT;
  }
  return LOG_INFO;
}

const char* nameOf(LogLevel level) {
  switch (level) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warning: return "warning";
    case LogLevel::Error: return "error";
    case LogLevel::Critical: return "critical";
  }
  return "info";
}

const char* colourOf(LogLevel level) {
  switch (level) {
    case LogLevel::Debug: return "\033[36m";
    case LogLevel::Info: return "\033[32m";
    case LogLevel::Warning: return "\033[33m";
    case LogLevel::Error: return "\033[31m";
    case LogLevel::Critical: return "\033[1;31m";
  }
  return "";
}

// 2026-12-03T12:00:00.123, local time, as a person reading a terminal expects.
std::string localTimestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm local{};
  ::localtime_r(&seconds, &local);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &local);
  char withMillis[40];
  std::snprintf(withMillis, sizeof withMillis, "%s.%03d", text, static_cast<int>(millis));
  return withMillis;
}

}  // namespace

std::string substitute(std::string_view text, const std::vector<std::string>& args) {
  std::string out;
  size_t next = 0;
  for (size_t at = text.find("{}"); at != std::string_view::npos && next < args.size(); at = text.find("{}")) {
    out.append(text.substr(0, at)).append(args[next++]);
    text.remove_prefix(at + 2);
  }
  return out.append(text);
}

// Whether stderr is the journal stream systemd gave us: JOURNAL_STREAM names
// its device and inode, and a shell started from a service inherits the
// variable with another stderr (sd_journal_stream_fd(3)).
static bool stderrIsTheJournal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  struct stat st {};
  if (!stream || ::fstat(STDERR_FILENO, &st) != 0) return false;
  unsigned long long device = 0, inode = 0;
  return std::sscanf(stream, "%llu:%llu", &device, &inode) == 2 && device == st.st_dev && inode == st.st_ino;
}

void setupLogging(bool debug) {
  settings.toJournal = stderrIsTheJournal();
  const char* noColour = std::getenv("NO_COLOR");
  settings.colour = !settings.toJournal && ::isatty(STDERR_FILENO) && !(noColour && *noColour);
  settings.least = debug ? LogLevel::Debug : LogLevel::Info;
}

bool logEnabled(LogLevel level) { return level >= settings.least; }

void writeLog(LogLevel level, std::string_view message) {
  const std::string text(message);
  if (settings.toJournal &&
      sd_journal_send("MESSAGE=%s", text.c_str(), "PRIORITY=%d", priorityOf(level), "SYSLOG_IDENTIFIER=giflab-perfd",
                      nullptr) >= 0)
    return;
  // stderr is unbuffered: a line is out before the next one, and before a crash.
  if (settings.colour)
    std::fprintf(stderr, "%s %s%s\033[0m %s\n", localTimestamp().c_str(), colourOf(level), nameOf(level), text.c_str());
  else
    std::fprintf(stderr, "%s %s %s\n", localTimestamp().c_str(), nameOf(level), text.c_str());
}

}  // namespace giflab::daemon
