#pragma once
// Statistical baselines, one per scenario, kept in <state>/baselines.json.
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "common/measure/fingerprint.hpp"

namespace giflab {

constexpr int kMinBaselineSamples = 3;
constexpr int kMaxIterations = 1000;
constexpr size_t kMaxBaselineSamples = 50;  // update keeps the newest this many

// A measured-run count the user asked for: 3 to 1000. Below 3 throws
// InsufficientSamples ("Insufficient samples for baseline"), a negative or
// too large one InvalidArgument; the client checks before calling the daemon.
void requireBaselineIterations(long long iterations);

// What no measurement can produce, so a file that holds it was tampered
// with or damaged: the limits a baselines file and history records obey.
inline constexpr double kMaxSeconds = 1e6;        // a run of more than 11 days
inline constexpr double kMaxMegabytes = 1e7;      // 10 TB of resident memory

struct Baseline {
  std::string scenario_name;
  double mean_processing_time = 0;
  double std_processing_time = 0;
  double mean_memory_usage = 0;
  double std_memory_usage = 0;
  int sample_count = 0;
  std::string last_updated;  // ISO-8601 UTC
  double confidence_level = 0.95;
  std::vector<double> processing_times;
  std::vector<double> memory_usages;
  // The control's times measured with these samples (machine.hpp); empty
  // in baselines from before the control, which are then judged raw.
  std::vector<double> control_times;
  // Which control measured control_times (controlIdentity in machine.hpp):
  // another control's times say nothing about this one's. Empty in
  // baselines from before it was recorded.
  std::string control_id;
  // CPU time (user + system) of each run, beside its wall time: on a busy
  // run queue wall time grows by the waits, CPU time by more work only
  // (contention.hpp). Empty in baselines from before it was kept.
  std::vector<double> cpu_times;
  Fingerprint fingerprint;

  // Builds the statistics from raw samples; throws InsufficientSamples below 3.
  static Baseline fromSamples(const std::string& scenario, std::vector<double> times, std::vector<double> memory,
                              double confidence, const Fingerprint& fp);
  const std::vector<double>& samples(const std::string& metric) const;
};

void to_json(nlohmann::json& j, const Baseline& b);
void from_json(const nlohmann::json& j, Baseline& b);

class BaselineStore {
 public:
  explicit BaselineStore(std::filesystem::path stateDir);

  // Throws BaselineCorrupt with "Failed to load baselines: <why>" and the fix.
  std::map<std::string, Baseline> load() const;
  void save(const std::map<std::string, Baseline>& baselines) const;
  // Load, change and save under a lock, so that two writers (the daemon and
  // a --local run, or a job and a clear) never undo each other.
  void modify(const std::function<void(std::map<std::string, Baseline>&)>& change) const;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace giflab
