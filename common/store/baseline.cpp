#include "common/store/baseline.hpp"

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/store/atomic_file.hpp"
#include "common/base/error.hpp"
#include "common/detect/stats.hpp"
#include "common/base/text.hpp"
#include "common/base/timeutil.hpp"

namespace giflab {
namespace fs = std::filesystem;
using nlohmann::json;

void requireBaselineIterations(long long n) {
  if (n < 0)
    throw Error(ErrorKind::InvalidArgument, "--iterations " + std::to_string(n) +
                                                " is negative; give the number of measured runs, 3 or more");
  if (n < kMinBaselineSamples)
    throw Error(ErrorKind::InsufficientSamples, "Insufficient samples for baseline: --iterations " + std::to_string(n) +
                                                    " is below the minimum of 3; use --iterations 3 or more");
  if (n > kMaxIterations)
    throw Error(ErrorKind::InvalidArgument, "--iterations " + std::to_string(n) + " is more than the most, " +
                                                std::to_string(kMaxIterations) + "; use 3 to 1000");
}

namespace {

// Checks one stored baseline against what a measurement can produce; the
// message names the field by its path in the file.
class BaselineChecker {
 public:
  BaselineChecker(const json& entry, std::string path) : entry_(entry), path_(std::move(path)) {}

  void check() const {
    if (!entry_.is_object()) fail("", "expected an object");
    const json& samples = field("samples");
    const size_t n = sampleList(samples, "processing_time", "samples.processing_time", true, true);
    if (sampleList(samples, "memory_usage", "samples.memory_usage", false, false) != n)
      fail("samples.memory_usage", "holds a different number of samples than samples.processing_time");
    if (samples.contains("control_processing_time"))
      sampleList(samples, "control_processing_time", "samples.control_processing_time", true, true);
    if (samples.contains("cpu_time") && sampleList(samples, "cpu_time", "samples.cpu_time", true, false) != n)
      fail("samples.cpu_time", "holds a different number of samples than samples.processing_time");
    if (entry_.contains("control") && !entry_.at("control").is_string())
      fail("control", "expected a string naming the control that measured samples.control_processing_time");
    value("mean_processing_time", true, true);
    value("std_processing_time", true, false);
    value("mean_memory_usage", false, false);
    value("std_memory_usage", false, false);
    const json& count = field("sample_count");
    if (!count.is_number_integer() || count.get<long long>() != static_cast<long long>(n))
      fail("sample_count", count.dump() + " does not match the " + std::to_string(n) + " samples");
    const json& updated = field("last_updated");
    const auto t = updated.is_string() ? parseIso8601(updated.get<std::string>()) : std::nullopt;
    if (!t) fail("last_updated", "expected an ISO-8601 time from 2000 to 2200, got " + shortened(updated.dump()));
    if (!plausibleTimestamp(*t))
      fail("last_updated", updated.get<std::string>() + " is not a time this program could have written (2000 to 2200)");
  }

 private:
  const json& field(const std::string& key) const {
    if (!entry_.contains(key)) fail(key, "missing");
    return entry_.at(key);
  }
  // Times are above 0, except CPU times (a run that only waits takes none).
  size_t sampleList(const json& samples, const std::string& key, const std::string& where, bool isTime,
                    bool positive) const {
    if (!samples.is_object() || !samples.contains(key) || !samples.at(key).is_array()) fail(where, "expected a list of numbers");
    const json& list = samples.at(key);
    if (list.size() < static_cast<size_t>(kMinBaselineSamples))
      fail(where, "holds " + std::to_string(list.size()) + " samples; a baseline has at least 3");
    for (size_t i = 0; i < list.size(); ++i) checkNumber(list[i], where + "[" + std::to_string(i) + "]", isTime, positive);
    return list.size();
  }
  void value(const std::string& key, bool isTime, bool positive) const {
    checkNumber(field(key), key, isTime, positive);
  }
  void checkNumber(const json& v, const std::string& where, bool isTime, bool positive) const {
    const double max = isTime ? kMaxSeconds : kMaxMegabytes;
    const char* unit = isTime ? " s" : " MB";
    if (!v.is_number()) fail(where, "expected a number, got " + shortened(v.dump()));
    const double d = v.get<double>();
    if (!std::isfinite(d) || d < 0 || (positive && d == 0) || d > max)
      fail(where, v.dump() + " is not a possible " + (isTime ? "time" : "memory figure") + " (expected " +
                      (positive ? "above 0" : "0 or more") + " and at most " + json(max).dump() + unit + ")");
  }
  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw std::runtime_error(path_ + (key.empty() ? "" : "." + key) + ": " + what);
  }

  const json& entry_;
  std::string path_;
};

}  // namespace

Baseline Baseline::fromSamples(const std::string& scenario, std::vector<double> times, std::vector<double> memory,
                               double confidence, const Fingerprint& fp) {
  if (times.size() < kMinBaselineSamples || memory.size() != times.size())
    throw Error(ErrorKind::InsufficientSamples,
                "Insufficient samples for baseline: scenario " + scenario + " has " + std::to_string(times.size()) +
                    " samples, at least " + std::to_string(kMinBaselineSamples) +
                    " are needed; use --iterations 3 or more");
  if (times.size() > kMaxBaselineSamples) {
    times.erase(times.begin(), times.end() - static_cast<long>(kMaxBaselineSamples));
    memory.erase(memory.begin(), memory.end() - static_cast<long>(kMaxBaselineSamples));
  }
  Baseline b;
  b.scenario_name = scenario;
  b.mean_processing_time = stats::mean(times);
  b.std_processing_time = stats::sampleStd(times);
  b.mean_memory_usage = stats::mean(memory);
  b.std_memory_usage = stats::sampleStd(memory);
  b.sample_count = static_cast<int>(times.size());
  b.last_updated = nowIso8601();
  b.confidence_level = confidence;
  b.processing_times = std::move(times);
  b.memory_usages = std::move(memory);
  b.fingerprint = fp;
  return b;
}

const std::vector<double>& Baseline::samples(const std::string& metric) const {
  return metric == "memory_usage" ? memory_usages : processing_times;
}

void to_json(json& j, const Baseline& b) {
  const auto ci = stats::controlLimits(b.mean_processing_time, b.std_processing_time, b.confidence_level);
  j = {{"scenario_name", b.scenario_name},
       {"mean_processing_time", b.mean_processing_time},
       {"std_processing_time", b.std_processing_time},
       {"mean_memory_usage", b.mean_memory_usage},
       {"std_memory_usage", b.std_memory_usage},
       {"sample_count", b.sample_count},
       {"last_updated", b.last_updated},
       {"confidence_level", b.confidence_level},
       {"median_processing_time", stats::median(b.processing_times)},
       {"median_memory_usage", stats::median(b.memory_usages)},
       {"control_limits_processing_time", {ci.low, ci.high}},
       {"samples", {{"processing_time", b.processing_times}, {"memory_usage", b.memory_usages}}},
       {"fingerprint", b.fingerprint}};
  if (!b.control_times.empty()) j["samples"]["control_processing_time"] = b.control_times;
  if (!b.control_times.empty() && !b.control_id.empty()) j["control"] = b.control_id;
  if (!b.cpu_times.empty()) j["samples"]["cpu_time"] = b.cpu_times;
}

void from_json(const json& j, Baseline& b) {
  b.scenario_name = j.at("scenario_name").get<std::string>();
  b.mean_processing_time = j.at("mean_processing_time").get<double>();
  b.std_processing_time = j.at("std_processing_time").get<double>();
  b.mean_memory_usage = j.at("mean_memory_usage").get<double>();
  b.std_memory_usage = j.at("std_memory_usage").get<double>();
  b.sample_count = j.at("sample_count").get<int>();
  b.last_updated = j.at("last_updated").get<std::string>();
  b.confidence_level = j.value("confidence_level", 0.95);
  const json& s = j.at("samples");
  b.processing_times = s.at("processing_time").get<std::vector<double>>();
  b.memory_usages = s.at("memory_usage").get<std::vector<double>>();
  if (s.contains("control_processing_time")) b.control_times = s.at("control_processing_time").get<std::vector<double>>();
  b.control_id = j.value("control", std::string());
  if (s.contains("cpu_time")) b.cpu_times = s.at("cpu_time").get<std::vector<double>>();
  if (b.processing_times.size() != b.memory_usages.size() || b.processing_times.size() < kMinBaselineSamples)
    throw std::runtime_error("baseline " + b.scenario_name + " has too few or mismatched samples");
  if (j.contains("fingerprint")) b.fingerprint = j.at("fingerprint").get<Fingerprint>();
}

BaselineStore::BaselineStore(fs::path stateDir) : path_(std::move(stateDir) / "baselines.json") {}

std::map<std::string, Baseline> BaselineStore::load() const {
  std::map<std::string, Baseline> out;
  std::ifstream in(path_);
  if (!in) {
    if (errno == ENOENT) return out;
    throw Error(ErrorKind::BaselineCorrupt, "Failed to load baselines: cannot read " + path_.string() + ": " +
                                                std::strerror(errno) + "; fix its permissions");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    const json doc = json::parse(ss.str());
    for (const auto& [name, value] : doc.at("baselines").items()) {
      BaselineChecker(value, "baselines." + shortened(name)).check();
      Baseline b = value.get<Baseline>();
      if (b.scenario_name != name) throw std::runtime_error("entry " + name + " names scenario " + b.scenario_name);
      out.emplace(name, std::move(b));
    }
  } catch (const std::exception& e) {
    throw Error(ErrorKind::BaselineCorrupt,
                "Failed to load baselines: " + path_.string() + " is not a valid baselines file (" + e.what() +
                    "); run 'giflab-perfctl baseline clear' then 'giflab-perfctl baseline create'");
  }
  return out;
}

void BaselineStore::modify(const std::function<void(std::map<std::string, Baseline>&)>& change) const {
  ensureDirectory(path_.parent_path());
  FileLock lock(path_.parent_path() / ".baselines.lock");
  auto baselines = load();
  change(baselines);
  save(baselines);
}

void BaselineStore::save(const std::map<std::string, Baseline>& baselines) const {
  json doc = {{"version", 1}, {"baselines", json::object()}};
  for (const auto& [name, b] : baselines) doc["baselines"][name] = b;
  ensureDirectory(path_.parent_path());
  writeFileAtomically(path_, doc.dump(2) + "\n");
}

}  // namespace giflab
