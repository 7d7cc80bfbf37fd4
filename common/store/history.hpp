#pragma once
// The JSON-Lines performance history: one record per scenario run.
// Appends are safe across processes (a lock file) and against a writer killed
// mid-line (a torn line is skipped and counted when read). Reading streams in
// fixed-size chunks, so memory does not grow with the file.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "common/base/timeutil.hpp"

namespace giflab {

// What the readers need of a record; the file holds more (samples, fingerprint, source).
struct HistoryPoint {
  SysTime time;
  std::string timestamp;
  std::string scenario;
  double processingTime = 0;  // s
  double memoryUsage = 0;     // MB
  std::string version;        // "" when the record names none
  std::string environment;    // "" when the record names none
  std::string fingerprint;    // the record's fingerprint as JSON text, when the filter asks for it
};

struct HistoryFilter {
  std::optional<std::string> scenario;
  std::optional<SysTime> since;
  std::optional<std::string> version;
  std::optional<std::string> environment;
  bool withFingerprint = false;
};

struct ReadStats {
  uint64_t records = 0;  // matching the filter and read
  uint64_t skipped = 0;  // lines that were torn or not records
};

// Streams any JSONL file of records (the history, or a file given to `analyze`).
ReadStats readHistoryFile(const std::filesystem::path& file, const HistoryFilter& filter,
                          const std::function<void(const HistoryPoint&)>& onPoint);

class HistoryStore {
 public:
  HistoryStore(std::filesystem::path stateDir, int maxHistoryDays, bool syncEachAppend = true);

  // Appends one record (an object with at least timestamp, scenario,
  // processing_time, memory_usage). Removes expired records first when the
  // oldest one has expired.
  void append(const nlohmann::json& record);
  // Rewrites the file without records older than max_history_days; returns how many went.
  uint64_t removeExpired();
  ReadStats read(const HistoryFilter& filter, const std::function<void(const HistoryPoint&)>& onPoint) const;
  const std::filesystem::path& path() const { return path_; }

 private:
  uint64_t removeExpiredLocked();
  std::filesystem::path path_;
  std::filesystem::path lockPath_;
  int maxHistoryDays_;
  bool sync_;
};

}  // namespace giflab
