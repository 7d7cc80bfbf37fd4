#pragma once
// Runs scenarios: inputs from the data pattern, placeholders, warm-up, then
// measured runs. Several scenarios are interleaved run by run, so that a
// passing disturbance of the machine spreads over all of them instead of
// spoiling one.
#include <asio/awaitable.hpp>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/measure/cancellation.hpp"
#include "common/store/config.hpp"

namespace giflab {

// One run: one pass of the command over every input file.
struct RunSample {
  double processingTime = 0;  // s, wall clock, summed over inputs
  double memoryUsage = 0;     // MB, peak RSS of the largest single invocation
  double cpuUser = 0;
  double cpuSystem = 0;
};

struct ScenarioMeasurement {
  std::string scenario;
  std::vector<RunSample> samples;
  std::optional<std::string> error;  // set when the scenario failed; samples may be partial

  std::vector<double> processingTimes() const;
  std::vector<double> memoryUsages() const;
  std::vector<double> cpuTimes() const;  // user + system, s
};

// fraction in [0,1] and a line a person can read.
using ProgressFn = std::function<void(double fraction, const std::string& message)>;

// Sorted matches of the scenario's data pattern; throws ScenarioFailed naming
// the pattern when there are fewer than expected_files.
std::vector<std::string> resolveInputs(const Scenario& scenario);

// Fills {input}, {output} and {max_frames} into the scenario's command.
std::vector<std::string> expandCommand(const Scenario& scenario, const std::string& input,
                                       const std::string& output);

struct RunPlan {
  const Scenario* scenario;
  int iterations;
  bool warmup = true;  // false for a check's later rounds: the machine is warm
  // For progress messages ("run 4/5"): runs measured before this plan, and
  // the most the check may take (0: iterations).
  int firstRun = 0, ofRuns = 0;
};

// Runs every plan's warm-up (when it asks for one), then its iterations
// round-robin. A failing scenario stops only itself. Cancellation throws
// Error(Cancelled).
asio::awaitable<std::vector<ScenarioMeasurement>> runInterleaved(std::vector<RunPlan> plans, Cancellation cancel,
                                                                ProgressFn progress);

}  // namespace giflab
