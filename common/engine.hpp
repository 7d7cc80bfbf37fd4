#pragma once
// The engine: every operation of giflab-perfctl and giflab-perfd on one
// config and one state folder. Results are JSON documents, the same ones the
// daemon hands out over D-Bus and the client prints.
#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/config.hpp"
#include "common/scenario_runner.hpp"

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
  int days = 7;
  bool trend = false;
  bool changes = false;
  size_t maxRecords = 1000;  // the newest this many records are listed
};

class Engine {
 public:
  Engine(Config config, std::filesystem::path stateDir);

  const Config& config() const { return config_; }
  const std::filesystem::path& stateDir() const { return stateDir_; }

  nlohmann::json createBaselines(const std::vector<std::string>& scenarios, std::optional<int> iterations,
                                 const std::atomic<bool>* cancel = nullptr, const ProgressFn& progress = {});
  nlohmann::json updateBaselines(const std::vector<std::string>& scenarios, std::optional<int> iterations,
                                 const std::atomic<bool>* cancel = nullptr, const ProgressFn& progress = {});
  nlohmann::json listBaselines() const;
  nlohmann::json clearBaselines(const std::vector<std::string>& scenarios);

  // Measures, compares with the baselines, records history; the contract's `ci --json` document.
  nlohmann::json runCheck(const CheckOptions& options, const std::atomic<bool>* cancel = nullptr,
                          const ProgressFn& progress = {});
  // Runs scenarios and records them in the history without comparing.
  nlohmann::json measureAndRecord(const std::vector<std::string>& scenarios, const std::string& source,
                                  const std::atomic<bool>* cancel = nullptr, const ProgressFn& progress = {});
  nlohmann::json validate(const std::atomic<bool>* cancel = nullptr, const ProgressFn& progress = {});
  nlohmann::json status(bool verbose) const;
  nlohmann::json history(const HistoryQuery& query) const;
  nlohmann::json depsCheck() const;

  static nlohmann::json analyzeFile(const std::filesystem::path& file, const std::optional<std::string>& metric);

  // Checks names against the config; throws UnknownScenario naming the known ones.
  std::vector<const Scenario*> selectScenarios(const std::vector<std::string>& names, bool monitoredOnly) const;

 private:
  nlohmann::json measureBaselines(const std::vector<std::string>& names, std::optional<int> iterations, bool update,
                                  const std::atomic<bool>* cancel, const ProgressFn& progress);
  void recordHistory(const ScenarioMeasurement& m, const std::string& source);

  Config config_;
  std::filesystem::path stateDir_;
};

// "processing_time" / "memory_usage" or throws InvalidArgument.
void requireMetricName(const std::string& metric);

}  // namespace giflab
