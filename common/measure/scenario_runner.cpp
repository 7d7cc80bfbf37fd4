#include "common/measure/scenario_runner.hpp"

#include <glob.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "common/base/error.hpp"
#include "common/base/temporary_folder.hpp"
#include "common/measure/runner.hpp"

namespace giflab {
namespace fs = std::filesystem;

std::vector<double> ScenarioMeasurement::cpuTimes() const {
  std::vector<double> v;
  for (const auto& s : samples) v.push_back(s.cpuUser + s.cpuSystem);
  return v;
}

std::vector<double> ScenarioMeasurement::processingTimes() const {
  std::vector<double> v;
  for (const auto& s : samples) v.push_back(s.processingTime);
  return v;
}

std::vector<double> ScenarioMeasurement::memoryUsages() const {
  std::vector<double> v;
  for (const auto& s : samples) v.push_back(s.memoryUsage);
  return v;
}

namespace {
void replaceAll(std::string& text, const std::string& key, const std::string& value) {
  for (size_t pos = text.find(key); pos != std::string::npos; pos = text.find(key, pos + value.size()))
    text.replace(pos, key.size(), value);
}

// {worktree}: the config's repository, or a bisect step's checkout; left as
// written when the scenario has none.
std::string fillWorktree(std::string text, const Scenario& scenario) {
  if (!scenario.worktree.empty()) replaceAll(text, kWorktreePlaceholder, scenario.worktree);
  return text;
}
}  // namespace

std::vector<std::string> resolveInputs(const Scenario& scenario) {
  std::vector<std::string> files;
  const std::string pattern = fillWorktree(scenario.data_pattern, scenario);
  if (scenario.data_pattern.empty()) {
    if (scenario.expected_files > 0)
      throw Error(ErrorKind::ScenarioFailed, "scenario " + scenario.name + " expects " +
                                                 std::to_string(scenario.expected_files) +
                                                 " input files but has no data_pattern; add one to the config");
    return files;
  }
  glob_t g{};
  const int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
  if (rc == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i) files.emplace_back(g.gl_pathv[i]);
  ::globfree(&g);
  std::sort(files.begin(), files.end());
  if (files.size() < static_cast<size_t>(std::max(scenario.expected_files, 1)))
    throw Error(ErrorKind::ScenarioFailed,
                "scenario " + scenario.name + ": data_pattern " + pattern + " matched " +
                    std::to_string(files.size()) + " files, expected at least " +
                    std::to_string(std::max(scenario.expected_files, 1)) +
                    "; add the input files or fix data_pattern in the config");
  return files;
}

std::vector<std::string> expandCommand(const Scenario& scenario, const std::string& input,
                                       const std::string& output) {
  std::vector<std::string> argv;
  for (std::string arg : scenario.command) {
    arg = fillWorktree(std::move(arg), scenario);
    for (const auto& [key, value] : {std::pair<std::string, std::string>{"{input}", input},
                                     {"{output}", output},
                                     {"{max_frames}", std::to_string(scenario.max_frames)}})
      replaceAll(arg, key, value);
    argv.push_back(std::move(arg));
  }
  return argv;
}

namespace {

class ScenarioExecutor {
 public:
  ScenarioExecutor(const Scenario& s, const fs::path& scratch) : scenario_(s), scratch_(scratch) {
    inputs_ = resolveInputs(s);
  }
  asio::awaitable<RunSample> runOnce(MeasuringSession& session, Cancellation cancel) {
    RunSample sample;
    const std::vector<std::string> none{""};
    const auto& inputs = inputs_.empty() ? none : inputs_;
    for (size_t i = 0; i < inputs.size(); ++i) {
      const fs::path output = scratch_ / (scenario_.name + "-" + std::to_string(i) + ".out");
      const auto argv = expandCommand(scenario_, inputs[i], output.string());
      const auto outcome = co_await session.run(argv, std::chrono::duration<double>(scenario_.timeout), cancel);
      std::error_code ec;
      fs::remove(output, ec);
      if (outcome.cancelled) throw Error(ErrorKind::Cancelled, "cancelled");
      if (!outcome.succeeded())
        throw Error(ErrorKind::ScenarioFailed,
                    "scenario " + scenario_.name + ": " + outcome.describeFailure(argv.front(), scenario_.timeout));
      sample.processingTime += outcome.wallSeconds;
      sample.cpuUser += outcome.userSeconds;
      sample.cpuSystem += outcome.systemSeconds;
      sample.memoryUsage = std::max(sample.memoryUsage, outcome.maxRssMb);
    }
    co_return sample;
  }

 private:
  const Scenario& scenario_;
  fs::path scratch_;
  std::vector<std::string> inputs_;
};

}  // namespace

asio::awaitable<std::vector<ScenarioMeasurement>> runInterleaved(std::vector<RunPlan> plans, Cancellation cancel,
                                                                ProgressFn progress) {
  TemporaryFolder scratch("giflab-perf.");  // for {output} files
  MeasuringSession session;                 // one helper for every run of this call (a check's first runs, or a later round)
  std::vector<ScenarioMeasurement> results(plans.size());
  std::vector<std::optional<ScenarioExecutor>> executors(plans.size());
  int totalRuns = 0, maxIterations = 0;
  for (size_t i = 0; i < plans.size(); ++i) {
    results[i].scenario = plans[i].scenario->name;
    totalRuns += (plans[i].warmup ? plans[i].scenario->warmup : 0) + plans[i].iterations;
    maxIterations = std::max(maxIterations, plans[i].iterations);
    try {
      executors[i].emplace(*plans[i].scenario, scratch.path());
    } catch (const Error& e) {
      results[i].error = e.what();
    }
  }
  // Warm-ups first, then the measured runs round-robin.
  struct Step {
    size_t plan;
    bool measured;
    int iteration;
  };
  std::vector<Step> steps;
  for (size_t i = 0; i < plans.size(); ++i)
    for (int w = 0; plans[i].warmup && w < plans[i].scenario->warmup; ++w) steps.push_back({i, false, w});
  for (int it = 0; it < maxIterations; ++it)
    for (size_t i = 0; i < plans.size(); ++i)
      if (it < plans[i].iterations) steps.push_back({i, true, it});

  int done = 0;
  for (const Step& step : steps) {
    const size_t i = step.plan;
    if (results[i].error) continue;
    cancel.throwIfRequested();
    if (progress) {
      const auto& p = plans[i];
      progress(totalRuns ? static_cast<double>(done) / totalRuns : 0.0,
               p.scenario->name + (step.measured ? ": run " + std::to_string(p.firstRun + step.iteration + 1) + "/" +
                                                       std::to_string(p.ofRuns ? p.ofRuns : p.iterations)
                                                 : ": warm-up"));
    }
    try {
      const RunSample s = co_await executors[i]->runOnce(session, cancel);
      if (step.measured) results[i].samples.push_back(s);
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::Cancelled) throw;
      results[i].error = e.what();
    }
    ++done;
  }
  if (progress) progress(1.0, "done");
  co_return results;
}

}  // namespace giflab
