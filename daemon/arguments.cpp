#include "daemon/arguments.hpp"

#include <cmath>

#include "common/store/baseline.hpp"
#include "common/base/error.hpp"
#include "common/base/text.hpp"
#include "common/measure/version_probe.hpp"

namespace giflab::daemon {

namespace {
constexpr size_t kMaxNames = 1000;
constexpr size_t kMaxStringArg = 256;
}  // namespace

void checkScenarioNames(const Engine& engine, const std::vector<std::string>& names, bool monitoredOnly) {
  if (names.size() > kMaxNames) throw Error(ErrorKind::InvalidArgument, "too many scenario names (at most 1000)");
  for (const auto& n : names)
    if (!isValidScenarioName(n))
      throw Error(ErrorKind::InvalidArgument, "\"" + shortened(n) +
                                                  "\" is not a scenario name (1 to 64 letters, digits, '_', '.', '-')");
  engine.selectScenarios(names, monitoredOnly);  // unknown names fail here, before any job
}

std::optional<int> checkIterations(uint32_t iterations) {
  if (iterations == 0) return std::nullopt;
  if (iterations < kMinBaselineSamples)
    throw Error(ErrorKind::InsufficientSamples, "Insufficient samples for baseline: " + std::to_string(iterations) +
                                                    " iterations; use 3 or more");
  if (iterations > 1000) throw Error(ErrorKind::InvalidArgument, "iterations must be at most 1000");
  return static_cast<int>(iterations);
}

CheckOptions checkCiArguments(const Engine& engine, const std::string& action, double threshold,
                              const std::vector<std::string>& scenarios) {
  if (action != "check" && action != "gate") throw Error(ErrorKind::InvalidArgument, "action must be \"check\" or \"gate\"");
  if (!std::isfinite(threshold) || threshold < 0 || threshold > 10)
    throw Error(ErrorKind::InvalidArgument,
                "threshold must be above 0 and at most 10 (0.15 means 15 %), or 0 for the default");
  checkScenarioNames(engine, scenarios, scenarios.empty());
  CheckOptions o;
  o.action = action;
  if (threshold > 0) o.threshold = threshold;
  o.scenarios = scenarios;
  return o;
}

void applyHistoryOptions(HistoryQuery& q, const std::map<std::string, double>& numbers,
                         const std::map<std::string, std::string>& texts) {
  auto unknown = [](const std::string& key) {
    return Error(ErrorKind::InvalidArgument, "unknown history option \"" + shortened(key) +
                                                 "\"; the options are min_change, sensitivity (d), version and environment (s)");
  };
  for (const auto& [key, value] : numbers) {
    if (key == "min_change") q.changeOptions.minRelativeChange = value;
    else if (key == "sensitivity") q.changeOptions.alpha = value;
    else throw unknown(key);
  }
  for (const auto& [key, value] : texts) {
    if (key == "environment") {
      if (!isValidScenarioName(value))
        throw Error(ErrorKind::InvalidArgument, "environment \"" + shortened(value) +
                                                    "\" is not an environment name (letters, digits, '_', '.', '-')");
      q.environment = value;
      continue;
    }
    if (key != "version") throw unknown(key);
    if (value.empty() || value.size() > kMaxVersionLength || !isPrintable(value))
      throw Error(ErrorKind::InvalidArgument, "version \"" + shortened(value) + "\" is not a version a record can name (1 to " +
                                                  std::to_string(kMaxVersionLength) + " printable bytes)");
    q.version = value;
  }
  requireChangePointOptions(q.changeOptions);
}

HistoryQuery checkHistoryArguments(const std::string& scenario, const std::string& metric, uint32_t days, bool trend,
                                   bool changes) {
  if (scenario.size() > kMaxStringArg || metric.size() > kMaxStringArg)
    throw Error(ErrorKind::InvalidArgument, "scenario and metric names are short; got an argument of " +
                                                std::to_string(std::max(scenario.size(), metric.size())) + " bytes");
  if (days > 3650) throw Error(ErrorKind::InvalidArgument, "days must be from 1 to 3650");
  if (!scenario.empty() && !isValidScenarioName(scenario))
    throw Error(ErrorKind::InvalidArgument, "\"" + shortened(scenario) + "\" is not a scenario name");
  if (!metric.empty()) requireMetricName(metric);
  HistoryQuery q;
  if (!scenario.empty()) q.scenario = scenario;
  if (!metric.empty()) q.metric = metric;
  q.days = days == 0 ? 7 : static_cast<int>(days);
  q.trend = trend;
  q.changes = changes;
  q.maxRecords = trend || changes ? 0 : 10000;
  return q;
}

}  // namespace giflab::daemon
