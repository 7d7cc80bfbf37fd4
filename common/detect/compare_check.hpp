#pragma once
// A check's comparison of measured scenarios with their baselines: raw
// verdicts for every metric in one false-discovery family, then each
// processing time that a busier CPU would slow judged relative to the
// machine (machine.hpp).
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/store/baseline.hpp"
#include "common/cycle/check_report.hpp"
#include "common/measure/scenario_runner.hpp"

namespace giflab {

// The share of a scenario's wall time that its processes spent on a CPU.
double cpuShare(const ScenarioMeasurement& m);

struct Comparison {
  std::vector<ScenarioReport> scenarios;  // one per measured scenario that did not fail
  double scenariosFactor = 1;             // the common residual applied (1: none)
  double cpuPressure = -1;                // the run queue's, as given (contention.hpp); -1: unknown
};

// Every measured scenario must have a baseline. control: this check's
// control runs, if measured and not failed. cpuPressure: the share of the
// check's time some task waited for a CPU (pressure.hpp), -1 if unknown.
Comparison compareWithBaselines(const std::vector<ScenarioMeasurement>& measured,
                                const std::optional<ScenarioMeasurement>& control,
                                const std::map<std::string, Baseline>& baselines, const DetectionPolicy& policy,
                                double cpuPressure = -1);

}  // namespace giflab
