#include "common/store/history.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <simdjson.h>
#include <vector>

#include "common/store/atomic_file.hpp"
#include "common/store/baseline.hpp"
#include "common/base/error.hpp"
#include "common/base/text.hpp"

namespace giflab {
namespace fs = std::filesystem;

namespace {

constexpr size_t kChunk = 1 << 20;
constexpr size_t kMaxScenarioBytes = 256;  // analyze reads other tools' ids, longer than our names

[[noreturn]] void storageError(const std::string& what, const fs::path& p, int err) { throwStorageError(what, p, err); }

class UniqueFd {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

void writeAll(int fd, const char* p, size_t n, const fs::path& path) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      storageError("cannot append to", path, errno);
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

// A record's values as a measurement can make them: a printable scenario
// name, times and memory from 0 to the baselines' limits, and a plausible
// timestamp.
bool plausible(SysTime time, std::string_view scenario, double pt, double mem) {
  if (!plausibleTimestamp(time)) return false;
  if (scenario.empty() || scenario.size() > kMaxScenarioBytes || !isPrintable(scenario) ||
      scenario.find_first_of("\n\t") != std::string_view::npos)
    return false;
  return std::isfinite(pt) && std::isfinite(mem) && pt >= 0 && mem >= 0 && pt <= kMaxSeconds && mem <= kMaxMegabytes;
}

// An optional string field: "" when it is missing or not a string; false
// when the document breaks on the way (simdjson's iterator is then dead).
bool optionalString(simdjson::ondemand::object& obj, const char* key, std::string_view& out) {
  using namespace simdjson;
  out = {};
  ondemand::value value;
  const auto missing = obj.find_field_unordered(key).get(value);
  if (missing == NO_SUCH_FIELD) return true;
  if (missing) return false;
  const auto notString = value.get_string().get(out);
  if (notString == INCORRECT_TYPE) {
    out = {};
    return true;
  }
  return !notString;
}

bool parseLine(simdjson::ondemand::parser& parser, const char* data, size_t len, size_t capacity,
               const HistoryFilter& filter, HistoryPoint& out, bool& matched) {
  using namespace simdjson;
  matched = false;
  ondemand::document doc;
  if (parser.iterate(data, len, capacity).get(doc)) return false;
  ondemand::object obj;
  if (doc.get_object().get(obj)) return false;
  std::string_view ts, scenario;
  double pt = 0, mem = 0;
  if (obj.find_field_unordered("timestamp").get_string().get(ts)) return false;
  if (obj.find_field_unordered("scenario").get_string().get(scenario)) return false;
  auto time = parseIso8601(ts);
  if (!time) return false;
  if (obj.find_field_unordered("processing_time").get_double().get(pt)) return false;
  if (obj.find_field_unordered("memory_usage").get_double().get(mem)) return false;
  // What no measurement can produce is damage, like a torn line, whatever the filter.
  if (!plausible(*time, scenario, pt, mem)) return false;
  if (filter.scenario && scenario != *filter.scenario) return true;
  if (filter.since && *time < *filter.since) return true;
  // Optional, and only ever a string: anything else is no version. A line
  // that breaks while looking is damaged: its iterator cannot go on.
  std::string_view version, environment;
  if (!optionalString(obj, "version", version) || !optionalString(obj, "environment", environment)) return false;
  if (filter.version && version != *filter.version) return true;
  if (filter.environment && environment != *filter.environment) return true;
  out.fingerprint.clear();
  if (filter.withFingerprint) {
    ondemand::value value;
    const auto missing = obj.find_field_unordered("fingerprint").get(value);
    if (missing && missing != NO_SUCH_FIELD) return false;
    ondemand::object fingerprint;
    std::string_view raw;
    if (!missing) {
      const auto notObject = value.get_object().get(fingerprint);
      if (notObject && notObject != INCORRECT_TYPE) return false;
      if (!notObject) {
        if (fingerprint.raw_json().get(raw)) return false;
        out.fingerprint.assign(raw);
      }
    }
  }
  out.version = isPrintable(version) ? std::string(version) : printable(version);
  out.environment = isPrintable(environment) ? std::string(environment) : printable(environment);
  out.time = *time;
  out.timestamp.assign(ts);
  out.scenario.assign(scenario);
  out.processingTime = pt;
  out.memoryUsage = mem;
  matched = true;
  return true;
}

// The oldest record is the first one: records are appended in time order.
std::optional<SysTime> firstRecordTime(const fs::path& file) {
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return std::nullopt;
  std::string head(64 * 1024, '\0');
  const ssize_t n = ::pread(fd.get(), head.data(), head.size(), 0);
  if (n <= 0) return std::nullopt;
  head.resize(static_cast<size_t>(n));
  for (size_t start = 0; start < head.size();) {
    size_t nl = head.find('\n', start);
    if (nl == std::string::npos) nl = head.size();
    const auto rec = nlohmann::json::parse(head.substr(start, nl - start), nullptr, false);
    if (rec.is_object() && rec.contains("timestamp") && rec["timestamp"].is_string())
      return parseIso8601(rec["timestamp"].get<std::string>());
    start = nl + 1;  // a torn first line: look at the next
  }
  return std::nullopt;
}

}  // namespace

ReadStats readHistoryFile(const fs::path& file, const HistoryFilter& filter,
                          const std::function<void(const HistoryPoint&)>& onPoint) {
  ReadStats stats;
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return stats;
    storageError("cannot read", file, errno);
  }
  simdjson::ondemand::parser parser;
  std::vector<char> buf(kChunk + simdjson::SIMDJSON_PADDING);
  size_t have = 0;
  HistoryPoint point;
  auto handle = [&](const char* line, size_t len, size_t capacity) {
    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ')) --len;
    if (len == 0) return;
    bool matched = false;
    if (!parseLine(parser, line, len, capacity, filter, point, matched)) {
      ++stats.skipped;
      return;
    }
    if (matched) {
      ++stats.records;
      onPoint(point);
    }
  };
  for (;;) {
    if (have == buf.size() - simdjson::SIMDJSON_PADDING) buf.resize(buf.size() * 2);  // one very long line
    const ssize_t n = ::read(fd.get(), buf.data() + have, buf.size() - simdjson::SIMDJSON_PADDING - have);
    if (n < 0) {
      if (errno == EINTR) continue;
      storageError("cannot read", file, errno);
    }
    if (n == 0) break;
    have += static_cast<size_t>(n);
    size_t start = 0;
    for (;;) {
      const void* nl = std::memchr(buf.data() + start, '\n', have - start);
      if (!nl) break;
      const size_t end = static_cast<size_t>(static_cast<const char*>(nl) - buf.data());
      handle(buf.data() + start, end - start, buf.size() - start);
      start = end + 1;
    }
    std::memmove(buf.data(), buf.data() + start, have - start);
    have -= start;
  }
  if (have > 0) handle(buf.data(), have, buf.size());  // a last line without newline
  return stats;
}

HistoryStore::HistoryStore(fs::path stateDir, int maxHistoryDays, bool syncEachAppend)
    : path_(stateDir / "history.jsonl"),
      lockPath_(stateDir / ".history.lock"),
      maxHistoryDays_(maxHistoryDays),
      sync_(syncEachAppend) {}

void HistoryStore::append(const nlohmann::json& record) {
  ensureDirectory(path_.parent_path());
  const std::string line = record.dump() + "\n";
  FileLock lock(lockPath_);
  if (const auto first = firstRecordTime(path_);
      first && *first < std::chrono::system_clock::now() - std::chrono::hours(24) * maxHistoryDays_)
    removeExpiredLocked();
  UniqueFd fd(::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
  if (fd.get() < 0) storageError("cannot open", path_, errno);
  // A writer killed mid-line leaves no newline; start a fresh line so that
  // only the torn record is lost, not this one too.
  struct stat st{};
  if (::fstat(fd.get(), &st) == 0 && st.st_size > 0) {
    char last = '\n';
    UniqueFd rfd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
    if (rfd.get() >= 0 && ::pread(rfd.get(), &last, 1, st.st_size - 1) == 1 && last != '\n')
      writeAll(fd.get(), "\n", 1, path_);
  }
  // The whole record or nothing: a short write (a full disk) is cut back off,
  // so that no partial line is left in the middle of the file once space returns.
  const off_t before = ::lseek(fd.get(), 0, SEEK_END);
  try {
    writeAll(fd.get(), line.data(), line.size(), path_);
    if (sync_ && ::fdatasync(fd.get()) != 0) storageError("cannot flush", path_, errno);
  } catch (const Error&) {
    if (before >= 0 && ::ftruncate(fd.get(), before) == 0 && sync_) ::fdatasync(fd.get());
    throw;
  }
}

uint64_t HistoryStore::removeExpired() {
  if (!fs::exists(path_)) return 0;
  FileLock lock(lockPath_);
  return removeExpiredLocked();
}

uint64_t HistoryStore::removeExpiredLocked() {
  const auto cutoff = std::chrono::system_clock::now() - std::chrono::hours(24) * maxHistoryDays_;
  // Keep lines verbatim (with all their fields); drop expired and torn ones.
  UniqueFd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return 0;
  std::string kept, pending;
  uint64_t removed = 0;
  simdjson::ondemand::parser parser;
  std::vector<char> buf(kChunk);
  auto keepLine = [&](const std::string& line) {
    if (line.empty()) return;
    simdjson::padded_string padded(line);
    simdjson::ondemand::document doc;
    std::string_view ts;
    std::optional<SysTime> t;
    if (!parser.iterate(padded).get(doc) && !doc["timestamp"].get_string().get(ts)) t = parseIso8601(ts);
    if (t && *t >= cutoff) kept += line + "\n";
    else ++removed;
  };
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buf.data(), static_cast<size_t>(n));
    size_t start = 0;
    for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1)
      keepLine(pending.substr(start, nl - start));
    pending.erase(0, start);
  }
  keepLine(pending);
  if (removed > 0) writeFileAtomically(path_, kept);
  return removed;
}

ReadStats HistoryStore::read(const HistoryFilter& filter, const std::function<void(const HistoryPoint&)>& onPoint) const {
  return readHistoryFile(path_, filter, onPoint);
}

}  // namespace giflab
