#pragma once
// The engine: every operation of giflab-perfctl and giflab-perfd on one
// config and one state folder. A check's result is a typed CheckReport; the
// other results are JSON documents, the same ones the daemon hands out over
// D-Bus and the client prints.
//
// What measures is a coroutine: it runs on the caller's io_context, which
// watches the benchmark children while it goes on serving (the daemon's bus);
// runBlocking() (common/blocking.hpp) runs one to its end without a loop.
#include <asio/awaitable.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/measure/cancellation.hpp"
#include "common/detect/analysis.hpp"
#include "common/cycle/check_report.hpp"
#include "common/detect/compare_check.hpp"
#include "common/store/config.hpp"
#include "common/base/error.hpp"
#include "common/measure/scenario_runner.hpp"
#include "common/measure/version_probe.hpp"

namespace giflab {

struct CheckOptions {
  std::string action = "check";     // check / gate / monitor
  std::optional<double> threshold;  // default: ci_regression_threshold (monitor: regression_threshold)
  std::vector<std::string> scenarios;  // empty: every monitored scenario
  bool remeasureInconclusive = true;
};

struct HistoryQuery {
  std::optional<std::string> scenario;
  std::optional<std::string> metric;  // processing_time / memory_usage; empty: both
  std::optional<std::string> version;  // only records of this version
  std::optional<std::string> environment;  // only records of this environment
  int days = 7;
  bool trend = false;
  bool changes = false;
  size_t maxRecords = 1000;  // the newest this many records are listed
  ChangePointOptions changeOptions;  // --min-change, --sensitivity
};

class Engine {
 public:
  Engine(Config config, std::filesystem::path stateDir);

  const Config& config() const { return config_; }
  const std::filesystem::path& stateDir() const { return stateDir_; }

  asio::awaitable<nlohmann::json> createBaselines(std::vector<std::string> scenarios, std::optional<int> iterations,
                                                  Cancellation cancel = {}, ProgressFn progress = {});
  asio::awaitable<nlohmann::json> updateBaselines(std::vector<std::string> scenarios, std::optional<int> iterations,
                                                  Cancellation cancel = {}, ProgressFn progress = {});
  nlohmann::json listBaselines() const;
  nlohmann::json clearBaselines(const std::vector<std::string>& scenarios);

  // Measures, compares with the baselines, records history; as JSON, the contract's `ci --json` document.
  asio::awaitable<CheckReport> runCheck(CheckOptions options, Cancellation cancel = {}, ProgressFn progress = {});
  // Runs scenarios and records them in the history without comparing.
  asio::awaitable<CheckReport> measureAndRecord(std::vector<std::string> scenarios, std::string source,
                                                   Cancellation cancel = {}, ProgressFn progress = {});
  asio::awaitable<nlohmann::json> validate(Cancellation cancel = {}, ProgressFn progress = {});
  nlohmann::json status(bool verbose) const;
  nlohmann::json history(const HistoryQuery& query) const;
  nlohmann::json depsCheck() const;

  static nlohmann::json analyzeFile(const std::filesystem::path& file, const std::optional<std::string>& metric,
                                    const ChangePointOptions& options = {},
                                    const std::optional<std::string>& environment = {});

  // Checks names against the config; throws UnknownScenario naming the known ones.
  std::vector<const Scenario*> selectScenarios(const std::vector<std::string>& names, bool monitoredOnly) const;

 private:
  asio::awaitable<nlohmann::json> measureBaselines(std::vector<std::string> names, std::optional<int> iterations,
                                                   bool update, Cancellation cancel, ProgressFn progress);
  CheckReport assembleReport(const std::vector<ScenarioMeasurement>& measured, Comparison comparison,
                             const std::map<std::string, Baseline>& baselines, const std::string& action,
                             const VersionProbe& versions, const ScenarioMeasurement* control);
  // pairedControl: the control's runs paired with m's (run i beside run i),
  // empty when none was measured; the record keeps their median so that a
  // reader of the history can tell the machine's moves from the scenario's.
  void recordHistory(const ScenarioMeasurement& m, const std::string& source, const VersionProbe& versions,
                     const std::vector<double>& pairedControl = {});
  Error unknownScenario(const std::string& name) const;

  Config config_;
  std::filesystem::path stateDir_;
};

// "processing_time" / "memory_usage" or throws InvalidArgument.
void requireMetricName(const std::string& metric);

}  // namespace giflab
