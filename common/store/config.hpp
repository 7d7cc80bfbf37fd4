#pragma once
// The configuration of the contract: loading, validation with messages that
// name the file and key path, defaults from the Phase 7 design, and the two
// environment overrides.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/detect/budget.hpp"

namespace giflab {

// Documented limits: a config beyond them is refused with a message, so that
// loading one never keeps the daemon from answering.
inline constexpr size_t kMaxConfigBytes = 1 << 20;
inline constexpr size_t kMaxScenarios = 1000;

struct PerformanceSettings {
  bool enabled = false;
  double regression_threshold = 0.10;
  double confidence_level = 0.95;
  long monitoring_interval = 3600;  // seconds
  int max_history_days = 30;
  bool fail_ci_on_regression = true;
  double ci_regression_threshold = 0.15;
  bool validate_phase6 = true;
  double phase6_baseline_speedup = 5.04;
  double phase6_regression_alert = 0.20;
  std::string admin_group = "giflab-perf";
  // performance.control.scenario: a scenario of this config measured as the
  // control instead of the built-in giflab-perf-control; empty: built-in.
  std::string control_scenario;
  // An open regression closes after this many cycles in a row find the
  // metric back: a regression that flaps around the threshold stays open.
  int close_after_cycles = 2;
  // A check's first look (sequential.hpp): it stops between this many runs
  // and a scenario's iterations once its verdict is settled.
  int min_iterations = 3;
  // performance.adaptive_interval {min, max} (seconds); 0: the fixed monitoring_interval.
  long adaptive_min = 0, adaptive_max = 0;
  // The pace while something is unsettled (a sighting, an open regression):
  // an adaptive pace's min, else the fixed interval.
  long unsettledInterval() const { return adaptive_min > 0 ? adaptive_min : monitoring_interval; }
};

struct Scenario {
  std::string name;
  std::string description;
  std::vector<std::string> command;  // argv, placeholders not yet filled in
  std::string data_pattern;          // absolute after loading; empty: no inputs
  int expected_files = 1;
  int max_frames = 0;                // 0: no limit given
  int iterations = 5;
  int warmup = 1;
  double timeout = 60;               // seconds, per run of one input
  bool monitored = true;             // part of the monitoring loop and `ci`
  std::vector<std::string> version_command;  // argv; empty: the config's
  // What {worktree} in command and data_pattern stands for: the config's
  // repository, or the checkout a bisect step measures; empty: left as written.
  std::string worktree;
  Budget budget;  // absolute limits, independent of the baselines
};

// The reference/candidate pair behind `validate --check-phase6`.
struct Phase6Pair {
  std::string reference;
  std::string candidate;
  int iterations = 5;
};

struct PrometheusSettings {
  std::string listen;  // "host:port"
};

struct Config {
  std::filesystem::path source;  // the file it came from; empty for defaults
  PerformanceSettings performance;
  std::vector<Scenario> scenarios;
  std::optional<Phase6Pair> phase6;
  std::optional<PrometheusSettings> prometheus;
  // Run once per check; its first line is recorded as each history record's version.
  std::vector<std::string> version_command;
  // The git repository whose revisions the versions name (for the bisect hint).
  std::filesystem::path repository;
  // Where these measurements come from (staging, production): stored in
  // every history record; default the host name.
  std::string environment;

  const Scenario* findScenario(const std::string& name) const;
};

// Parses and validates; relative paths resolve against `source`'s folder.
// Throws Error(Config) naming file, key path and what is accepted.
Config parseConfig(const std::string& text, const std::filesystem::path& source);
Config loadConfig(const std::filesystem::path& file);
// Applies GIFLAB_ENABLE_PERFORMANCE_MONITORING and GIFLAB_ENABLE_PHASE6_OPTIMIZATION.
void applyEnvironmentOverrides(Config& config);

std::filesystem::path defaultConfigPath(bool userMode);
std::filesystem::path defaultStateDir(bool userMode);

bool isValidScenarioName(const std::string& name);
// This machine's name, as an environment name.
std::string hostName();

// In a command, the checkout under test (giflab-perfctl bisect).
inline constexpr const char* kWorktreePlaceholder = "{worktree}";

}  // namespace giflab
