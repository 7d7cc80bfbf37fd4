#include "common/cycle/engine.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>
#include <map>
#include <set>
#include <span>

#include "common/store/alert_state.hpp"
#include "common/detect/analysis.hpp"
#include "common/store/atomic_file.hpp"
#include "common/store/baseline.hpp"
#include "common/detect/compare_check.hpp"
#include "common/detect/detection.hpp"
#include "common/base/error.hpp"
#include "common/measure/fingerprint.hpp"
#include "common/measure/pressure.hpp"
#include "common/store/history.hpp"
#include "common/detect/machine.hpp"
#include "common/measure/runner.hpp"
#include "common/detect/level_step.hpp"
#include "common/detect/sequential.hpp"
#include "common/detect/series.hpp"
#include "common/detect/stats.hpp"
#include "common/base/timeutil.hpp"
#include "common/base/version.hpp"
#include "common/measure/version_probe.hpp"

namespace giflab {
namespace fs = std::filesystem;

namespace {

// A baseline is measured once and compared against by every later check: its
// own noise is in all of them, a check's only in one. So it takes twice the
// runs of a check (10 for the usual 5), as the detection evaluation assumes.
int defaultBaselineIterations(const Scenario& s) { return std::max(2 * s.iterations, kMinBaselineSamples); }

// Adds the control to a plan, interleaved with the scenarios' runs; a
// control that is one of the planned scenarios is measured once. Otherwise
// it runs twice a round, as many rounds as the longest scenario, so that
// every round holds its runs (a disturbance that starts mid-check reaches
// the control's runs and the scenarios' alike) and each scenario run is
// compared with the mean of two control runs next to it, which halves the
// control's own noise in every ratio.
// A check's later rounds (firstRounds false) add exactly as many control
// rounds as the scenarios', without a warm-up, so that run i of a scenario
// still pairs with run i of the control.
void planControl(std::vector<RunPlan>& plans, const Scenario& control, bool firstRounds = true) {
  int most = 0;
  for (const auto& p : plans) {
    if (p.scenario->name == control.name) return;
    most = std::max(most, p.iterations);
  }
  if (most > 0)
    for (int copy = 0; copy < 2; ++copy)
      plans.push_back({&control, firstRounds ? std::max(most, kMinBaselineSamples) : most, firstRounds});
}

// Takes the control's measurement out of what was measured: one run per
// round, the mean of the round's two control runs (or a copy of the
// scenario's runs, when the control is also a scenario of the check).
std::optional<ScenarioMeasurement> takeControl(std::vector<ScenarioMeasurement>& measured, const std::string& name,
                                               bool alsoAScenario) {
  std::vector<ScenarioMeasurement> found;
  for (auto it = measured.begin(); it != measured.end();) {
    if (it->scenario != name) {
      ++it;
      continue;
    }
    found.push_back(*it);
    if (alsoAScenario) break;
    it = measured.erase(it);
  }
  if (found.empty()) return std::nullopt;
  ScenarioMeasurement control = found.front();
  for (size_t k = 1; k < found.size(); ++k) {
    if (found[k].error) control.error = found[k].error;
    const size_t n = std::min(control.samples.size(), found[k].samples.size());
    control.samples.resize(n);
    for (size_t i = 0; i < n; ++i) {
      control.samples[i].processingTime = (control.samples[i].processingTime + found[k].samples[i].processingTime) / 2;
      control.samples[i].cpuUser = (control.samples[i].cpuUser + found[k].samples[i].cpuUser) / 2;
      control.samples[i].cpuSystem = (control.samples[i].cpuSystem + found[k].samples[i].cpuSystem) / 2;
      control.samples[i].memoryUsage = std::max(control.samples[i].memoryUsage, found[k].samples[i].memoryUsage);
    }
  }
  return control;
}

// More runs of the same scenario: a failure among them fails it.
void appendRuns(ScenarioMeasurement& into, const ScenarioMeasurement& more) {
  if (more.error) into.error = more.error;
  into.samples.insert(into.samples.end(), more.samples.begin(), more.samples.end());
}

// Progress over the runs a check or a baseline takes at most, across its
// calls of runInterleaved (each of which ends at 1.0): it may end early, when
// the measuring settles, and the caller reports the end itself.
ProgressFn progressOverRuns(ProgressFn progress, int plannedRuns) {
  if (!progress) return {};
  auto done = std::make_shared<int>(0);
  return [progress = std::move(progress), plannedRuns, done](double fraction, const std::string& message) {
    if (fraction >= 1.0) return;
    progress(std::min(0.99, plannedRuns ? static_cast<double>((*done)++) / plannedRuns : 0.0), message);
  };
}

// Measures one more round of a check or a baseline and adds its runs to what
// was measured. The control keeps pace, so that run i of a scenario still
// pairs with run i of the control: a round of its own beside the scenarios',
// or, when it is one of the measured scenarios (controlAsScenario), a run of
// that scenario too.
asio::awaitable<void> measureAnotherRound(std::vector<RunPlan> round, std::vector<ScenarioMeasurement>& measured,
                                          std::optional<ScenarioMeasurement>& controlRun, const Scenario& control,
                                          const Scenario* controlAsScenario, Cancellation cancel, ProgressFn progress) {
  const bool controlIsAScenario = controlAsScenario != nullptr;
  const bool controlInRound =
      std::any_of(round.begin(), round.end(), [&](const RunPlan& p) { return p.scenario->name == control.name; });
  if (controlIsAScenario && !controlInRound)
    round.push_back({controlAsScenario, 1, false, static_cast<int>(controlRun ? controlRun->samples.size() : 0)});
  if (controlRun && !controlIsAScenario) planControl(round, control, false);
  auto extras = co_await runInterleaved(round, std::move(cancel), std::move(progress));
  if (auto more = takeControl(extras, control.name, controlIsAScenario); more && controlRun && !controlIsAScenario)
    appendRuns(*controlRun, *more);
  for (const auto& extra : extras)
    appendRuns(*std::find_if(measured.begin(), measured.end(),
                             [&](const ScenarioMeasurement& m) { return m.scenario == extra.scenario; }),
               extra);
  if (controlIsAScenario) controlRun = takeControl(measured, control.name, true);
}

// The control's runs paired with m's, as the comparison pairs them (run i
// with run i); none for the control itself or when it was not measured.
std::vector<double> controlRunsBeside(const ScenarioMeasurement* control, const ScenarioMeasurement& m) {
  if (!control || control->scenario == m.scenario) return {};
  auto times = control->processingTimes();
  if (times.size() > m.samples.size()) times.resize(m.samples.size());
  return times;
}

// Baselines whose control times another control measured (an older built-in
// one) are judged without the machine for this check: their times would
// read as the machine having changed. Returns the warning that says so and
// what to do, or "".
std::string setAsideOtherControls(std::map<std::string, Baseline>& baselines, const std::string& control) {
  std::vector<std::string> names;
  std::string recorded;
  for (auto& [name, b] : baselines)
    if (!b.control_times.empty() && !sameControl(b.control_id, control)) {
      names.push_back(name);
      recorded = b.control_id.empty() ? "an earlier built-in control" : b.control_id;
      b.control_times.clear();
    }
  if (names.empty()) return {};
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  return "the baselines of " + list + " hold times of another control (" + recorded + ", now " + control +
         "), so their times are judged without correcting for the machine; re-create them with "
         "'giflab-perfctl baseline create' to judge them against it again";
}

// What a baseline still changing level at its most says: which level it
// kept and what to do.
std::string unsteadyBaselineWarning(const std::string& scenario, const LevelStep& step) {
  char levels[96];
  std::snprintf(levels, sizeof levels, "%.4g s to %.4g s", step.before, step.after);
  return "the runs of " + scenario + " changed level while its baseline was measured (" + levels +
         "), and had not settled by its most runs: the baseline holds the last level seen. Re-create it with "
         "'giflab-perfctl baseline create --scenario " + scenario + "' when the machine is quiet";
}

// One look at a compared scenario (sequential.hpp): settles or demotes its
// verdicts, notes why it stops, and says whether it needs another run. A
// budget whose median is over it but not yet shown also keeps it measuring
// (3 runs never can show it at 0.95). Inconclusive at its most, it goes on
// (remeasure) up to as many runs again, once: `extended` holds those.
bool needsAnotherRun(ScenarioReport& r, LookPlan& look, std::set<std::string>& extended, const Scenario& s,
                     const ScenarioMeasurement& m, const DetectionPolicy& policy, bool remeasure) {
  const size_t runs = r.iterations;
  const bool timeSettled = settleAtLook(*r.time, runs, look, policy);
  const bool memorySettled = settleAtLook(*r.memory, runs, look, policy);
  bool settled = timeSettled && memorySettled;
  if (settled && runs < look.maxRuns && !s.budget.empty())
    for (const auto& b : checkBudgets(s.budget, m.processingTimes(), m.memoryUsages(), policy.confidence))
      if (b.pending()) settled = false;
  const bool inconclusive = r.time->verdict == Verdict::Inconclusive || r.memory->verdict == Verdict::Inconclusive;
  if (settled && inconclusive && runs >= look.maxRuns && remeasure && extended.insert(r.scenario).second) {
    look = {runs + 1, 2 * runs};
    settled = false;
  }
  r.stopped = extended.count(r.scenario) ? kStopRemeasured : runs >= look.maxRuns ? kStopMaximum : kStopSettled;
  return !settled && runs < look.maxRuns;
}

}  // namespace
using nlohmann::json;

void requireMetricName(const std::string& metric) {
  if (metric != kProcessingTime && metric != kMemoryUsage)
    throw Error(ErrorKind::InvalidArgument,
                "unknown metric \"" + metric + "\"; use processing_time or memory_usage");
}

Engine::Engine(Config config, fs::path stateDir) : config_(std::move(config)), stateDir_(std::move(stateDir)) {}

std::vector<const Scenario*> Engine::selectScenarios(const std::vector<std::string>& names, bool monitoredOnly) const {
  std::vector<const Scenario*> out;
  if (names.empty()) {
    for (const auto& s : config_.scenarios)
      if (!monitoredOnly || s.monitored) out.push_back(&s);
    if (out.empty())
      throw Error(ErrorKind::Config, (config_.source.empty() ? std::string("the config") : config_.source.string()) +
                                         ": no scenarios to run; add at least one under \"scenarios\"");
    return out;
  }
  std::set<std::string> seen;
  for (const auto& n : names) {
    const Scenario* s = config_.findScenario(n);
    if (!s) throw unknownScenario(n);
    if (seen.insert(n).second) out.push_back(s);
  }
  return out;
}

Error Engine::unknownScenario(const std::string& name) const {
  std::string known;
  for (const auto& k : config_.scenarios) {
    if (known.size() > 200) {
      known += ", ...";
      break;
    }
    known += (known.empty() ? "" : ", ") + k.name;
  }
  return Error(ErrorKind::UnknownScenario,
               "unknown scenario \"" + shortened(name) + "\"; known scenarios: " + (known.empty() ? "(none)" : known));
}

void Engine::recordHistory(const ScenarioMeasurement& m, const std::string& source, const VersionProbe& versions,
                           const std::vector<double>& pairedControl) {
  if (m.samples.empty()) return;
  const auto times = m.processingTimes();
  const auto memory = m.memoryUsages();
  double user = 0, sys = 0;
  for (const auto& s : m.samples) user += s.cpuUser, sys += s.cpuSystem;
  const double n = static_cast<double>(m.samples.size());
  json record = {{"timestamp", nowIso8601()},
                       {"scenario", m.scenario},
                       {"processing_time", stats::median(times)},
                       {"memory_usage", stats::median(memory)},
                       {"processing_time_mean", stats::mean(times)},
                       {"cpu_user", user / n},
                       {"cpu_system", sys / n},
                       {"iterations", m.samples.size()},
                       {"samples", {{"processing_time", times}, {"memory_usage", memory}}},
                       {"source", source},
                       {"fingerprint", Fingerprint::current()}};
  if (auto v = versions.byScenario.find(m.scenario); v != versions.byScenario.end()) record["version"] = v->second;
  record["environment"] = config_.environment.empty() ? hostName() : config_.environment;
  if (!pairedControl.empty()) {
    record["control"] = controlIdentity(config_);
    record["control_processing_time"] = stats::median(pairedControl);
  }
  HistoryStore(stateDir_, config_.performance.max_history_days).append(record);
}

asio::awaitable<json> Engine::measureBaselines(std::vector<std::string> names, std::optional<int> iterations,
                                               bool update, Cancellation cancel, ProgressFn progress) {
  if (iterations) requireBaselineIterations(*iterations);
  const auto scenarios = selectScenarios(names, false);
  BaselineStore store(stateDir_);
  auto baselines = store.load();  // a corrupt file stops here, before any measuring
  if (update)
    for (const auto* s : scenarios)
      if (!baselines.count(s->name))
        throw Error(ErrorKind::NoBaselines, "no baseline for scenario " + s->name +
                                                " to update; run 'giflab-perfctl baseline create --scenario " +
                                                s->name + "' first");
  const double confidence = config_.performance.confidence_level;
  DetectionPolicy policy{config_.performance.regression_threshold, confidence};
  // A count asked for is measured whole. The default count (twice a
  // check's iterations) is the most: a scenario measures the fewest runs its
  // checks' first look needs, then a run a round until its medians are
  // known as closely as the threshold needs (sequential.hpp).
  // Every scenario's first block is equally long (or its whole count, when
  // shorter), so that the later rounds keep run i of every scenario beside
  // run i of the control. A check compares all of the config's scenarios in
  // one false-discovery family: that family decides what its first look needs.
  const Scenario control = controlScenario(config_);
  const bool controlIsAScenario = std::any_of(scenarios.begin(), scenarios.end(), [&](const Scenario* s) { return s->name == control.name; });
  const size_t family = 2 * std::max<size_t>(config_.scenarios.size(), 1);
  std::map<std::string, size_t> mostRuns;
  size_t firstBlock = 0;
  for (const auto* s : scenarios) {
    const size_t most = static_cast<size_t>(iterations.value_or(defaultBaselineIterations(*s)));
    const size_t checkRuns = static_cast<size_t>(s->iterations);
    const LookPlan checks{std::min(static_cast<size_t>(config_.performance.min_iterations), checkRuns), checkRuns};
    mostRuns[s->name] = most;
    firstBlock = std::max(firstBlock, iterations ? most : std::min(most, baselineRunsForFirstLook(checks, 1 - confidence, family)));
  }
  std::vector<RunPlan> plans;
  int plannedRuns = 0;
  for (const auto* s : scenarios) {
    const size_t most = mostRuns.at(s->name);
    // The control, when one of these scenarios, keeps pace with the longest.
    const size_t first = s->name == control.name ? firstBlock : std::min(most, firstBlock);
    plans.push_back({s, static_cast<int>(first), true, 0, static_cast<int>(most)});
    plannedRuns += s->warmup + static_cast<int>(most);
  }
  planControl(plans, control);
  if (!controlIsAScenario && !mostRuns.empty()) {
    size_t most = 0;
    for (const auto& [name, n] : mostRuns) most = std::max(most, n);
    plannedRuns += 2 * (control.warmup + static_cast<int>(most));
  }
  const ProgressFn overall = progressOverRuns(progress, plannedRuns);
  ensureDirectory(stateDir_);
  const VersionProbe versions = co_await probeVersions(config_, scenarios, cancel);
  auto measured = co_await runInterleaved(plans, cancel, overall);
  auto controlRun = takeControl(measured, control.name, controlIsAScenario);
  std::set<std::string> settled;
  // A scenario whose runs changed level keeps only the runs from the change
  // (level_step.hpp) and measures on until it has its first block of those,
  // up to twice its most. The control's runs pair with the kept ones.
  std::map<std::string, size_t> setAside;
  std::map<std::string, LevelStep> lastStep;
  for (;;) {
    std::vector<RunPlan> round;
    for (const auto& m : measured) {
      if (m.error || (controlIsAScenario && m.scenario == control.name)) continue;
      const size_t most = mostRuns.at(m.scenario);
      size_t& aside = setAside[m.scenario];
      const auto times = m.processingTimes();
      if (auto step = levelStep(std::span(times).subspan(aside), policy.threshold)) {
        aside += step->firstOfNewLevel;
        lastStep[m.scenario] = *step;
      }
      const size_t kept = m.samples.size() - aside;
      if (kept >= most || m.samples.size() >= 2 * most) continue;
      const auto memory = m.memoryUsages();
      if (kept >= std::min(most, firstBlock) &&
          baselinePrecise({times.begin() + static_cast<long>(aside), times.end()}, kProcessingTime, policy) &&
          baselinePrecise({memory.begin() + static_cast<long>(aside), memory.end()}, kMemoryUsage, policy)) {
        settled.insert(m.scenario);
        continue;
      }
      round.push_back({config_.findScenario(m.scenario), 1, false, static_cast<int>(m.samples.size()),
                       static_cast<int>(aside ? 2 * most : most)});
    }
    if (round.empty()) break;
    co_await measureAnotherRound(std::move(round), measured, controlRun, control,
                                 controlIsAScenario ? config_.findScenario(control.name) : nullptr, cancel, overall);
  }
  if (progress) progress(1.0, "done");
  const bool haveControl = controlRun && !controlRun->error;
  std::map<std::string, std::vector<double>> pairedControl;  // for the history: this go's pairs only

  const Fingerprint fp = Fingerprint::current();
  json result = {{"action", update ? "update" : "create"}, {"baselines", json::array()}, {"errors", json::array()}};
  std::map<std::string, Baseline> fresh;
  std::vector<std::string> warnings = versions.warnings;
  for (auto& m : measured) {
    if (m.error) {
      result["errors"].push_back({{"scenario", m.scenario}, {"error", *m.error}});
      continue;
    }
    const size_t aside = setAside.count(m.scenario) ? setAside.at(m.scenario) : 0;
    m.samples.erase(m.samples.begin(), m.samples.begin() + static_cast<long>(aside));
    auto times = m.processingTimes();
    auto memory = m.memoryUsages();
    auto cpu = m.cpuTimes();
    auto controlTimes = haveControl ? controlRun->processingTimes() : std::vector<double>{};
    // Run i of the control pairs with run i of the scenario, before any were
    // set aside; the control measured on while other scenarios did.
    controlTimes.erase(controlTimes.begin(), controlTimes.begin() + static_cast<long>(std::min(aside, controlTimes.size())));
    if (controlTimes.size() > times.size()) controlTimes.resize(times.size());
    if (m.scenario != control.name) pairedControl[m.scenario] = controlTimes;
    std::string controlId = controlTimes.empty() ? std::string() : controlIdentity(config_);
    std::string how = "created";
    if (update) {
      const Baseline& old = baselines.at(m.scenario);
      // Fresh samples from a changed distribution are not mixed into the old
      // ones (that would make a bimodal baseline): an explicit update after
      // an accepted change rebases onto the fresh samples alone.
      auto t = compareMetric(kProcessingTime, times, old.processing_times, policy);
      auto mem = compareMetric(kMemoryUsage, memory, old.memory_usages, policy);
      auto tLess = stats::mannWhitneyU(times, old.processing_times, stats::Alternative::TwoSided).pValue;
      const bool changed = (std::fabs(t.relativeChange) > policy.threshold && tLess <= 1 - confidence) ||
                           (mem.relativeChange > policy.threshold && mem.current - mem.baseline > policy.minMemoryDeltaMb);
      // Old control times from another control cannot pair with fresh ones:
      // the fresh samples alone keep the machine's correction.
      const bool otherControl = !old.control_times.empty() && !controlTimes.empty() &&
                                !sameControl(old.control_id, controlIdentity(config_));
      if (changed || otherControl) {
        how = "rebased";
      } else {
        // CPU times are kept run by run with the wall times, or not at all.
        if (old.cpu_times.size() == old.processing_times.size()) cpu.insert(cpu.begin(), old.cpu_times.begin(), old.cpu_times.end());
        else cpu.clear();
        times.insert(times.begin(), old.processing_times.begin(), old.processing_times.end());
        memory.insert(memory.begin(), old.memory_usages.begin(), old.memory_usages.end());
        // Run i of the scenario pairs with run i of the control: merged only
        // when both sides have one, else the pairs would cross.
        if (!controlTimes.empty() && !old.control_times.empty()) {
          // The old control's runs beyond the old scenario's (baselines from
          // before every scenario's runs were paired) would cross the pairs.
          const size_t paired = std::min(old.control_times.size(), old.processing_times.size());
          if (paired < old.processing_times.size()) controlTimes.clear();
          else controlTimes.insert(controlTimes.begin(), old.control_times.begin(), old.control_times.begin() + static_cast<long>(paired));
        } else {
          controlTimes = old.control_times;
          controlId = old.control_id;
        }
        how = "updated";
      }
    }
    Baseline b = Baseline::fromSamples(m.scenario, std::move(times), std::move(memory), confidence, fp);
    b.control_times = std::move(controlTimes);
    b.control_id = std::move(controlId);
    b.cpu_times = std::move(cpu);
    // fromSamples keeps the newest kMaxBaselineSamples runs: the same runs' CPU and control times.
    for (auto* paired : {&b.cpu_times, &b.control_times})
      if (paired->size() > b.processing_times.size())
        paired->erase(paired->begin(), paired->end() - static_cast<long>(b.processing_times.size()));
    json entry = b;
    if (auto v = versions.byScenario.find(m.scenario); v != versions.byScenario.end()) entry["version"] = v->second;
    entry.erase("samples");
    entry["result"] = how;
    entry["runs"] = m.samples.size();
    entry["stopped"] = settled.count(m.scenario) ? kStopSettled : kStopMaximum;
    if (auto step = lastStep.find(m.scenario); step != lastStep.end()) {
      entry["level_change"] = {{"runs_set_aside", aside}, {"from", step->second.before}, {"to", step->second.after},
                               {"p_value", step->second.pValue}};
      // Still moving at its most: what is kept may be a level in passing.
      if (!settled.count(m.scenario) && m.samples.size() < mostRuns.at(m.scenario))
        warnings.push_back(unsteadyBaselineWarning(m.scenario, step->second));
    }
    result["baselines"].push_back(entry);
    fresh.emplace(m.scenario, std::move(b));
  }
  // Into the file as it is now, not as it was before measuring.
  if (!fresh.empty())
    store.modify([&](std::map<std::string, Baseline>& current) {
      for (auto& [name, b] : fresh) current[name] = b;
    });
  // Only once the baselines exist: no "baseline" records for one that does not.
  for (const auto& m : measured)
    if (!m.error) recordHistory(m, "baseline", versions, pairedControl[m.scenario]);
  if (controlRun && controlRun->error)
    result["control_error"] = "the control " + control.name + " could not be measured, so these baselines will be "
                              "judged without it: " + *controlRun->error;
  if (!warnings.empty()) result["warnings"] = warnings;
  if (!result["errors"].empty() && result["baselines"].empty()) {
    std::string msg;
    for (const auto& e : result["errors"]) msg += (msg.empty() ? "" : "\n") + e["error"].get<std::string>();
    throw Error(ErrorKind::ScenarioFailed, msg);
  }
  co_return result;
}

asio::awaitable<json> Engine::createBaselines(std::vector<std::string> names, std::optional<int> iterations,
                                              Cancellation cancel, ProgressFn progress) {
  co_return co_await measureBaselines(std::move(names), iterations, false, std::move(cancel), std::move(progress));
}

asio::awaitable<json> Engine::updateBaselines(std::vector<std::string> names, std::optional<int> iterations,
                                              Cancellation cancel, ProgressFn progress) {
  co_return co_await measureBaselines(std::move(names), iterations, true, std::move(cancel), std::move(progress));
}

json Engine::listBaselines() const {
  json list = json::array();
  for (const auto& [name, b] : BaselineStore(stateDir_).load()) {
    json entry = b;
    entry["configured"] = config_.findScenario(name) != nullptr;
    list.push_back(entry);
  }
  return {{"baselines", list}, {"path", BaselineStore(stateDir_).path().string()}};
}

json Engine::clearBaselines(const std::vector<std::string>& names) {
  BaselineStore store(stateDir_);
  json cleared = json::array();
  if (names.empty()) {
    // Clearing everything must work even when the file is corrupt: it is the fix.
    std::error_code ec;
    if (fs::exists(store.path(), ec)) {
      try {
        for (const auto& [name, b] : store.load()) cleared.push_back(name);
      } catch (const Error&) {
        cleared.push_back("(unreadable file)");
      }
      if (!fs::remove(store.path(), ec) && ec)
        throw Error(ErrorKind::Storage, "cannot remove " + store.path().string() + ": " + ec.message());
    }
    return {{"cleared", cleared}};
  }
  for (const auto& n : names)
    if (!isValidScenarioName(n))
      throw Error(ErrorKind::InvalidArgument, "\"" + shortened(n) + "\" is not a scenario name");
  store.modify([&](std::map<std::string, Baseline>& baselines) {
    // A scenario that left the config may still have a baseline to clear.
    for (const auto& n : names)
      if (!config_.findScenario(n) && !baselines.count(n)) throw unknownScenario(n);
    for (const auto& n : names)
      if (baselines.erase(n)) cleared.push_back(n);
  });
  return {{"cleared", cleared}};
}

asio::awaitable<CheckReport> Engine::runCheck(CheckOptions options, Cancellation cancel, ProgressFn progress) {
  const bool monitor = options.action == "monitor";
  const double threshold = options.threshold.value_or(monitor ? config_.performance.regression_threshold
                                                              : config_.performance.ci_regression_threshold);
  if (!(threshold > 0 && threshold <= 10))
    throw Error(ErrorKind::InvalidArgument, "threshold must be above 0 and at most 10 (0.15 means 15 %)");
  const auto scenarios = selectScenarios(options.scenarios, options.scenarios.empty());
  auto baselines = BaselineStore(stateDir_).load();
  if (baselines.empty())
    throw Error(ErrorKind::NoBaselines,
                "No performance baselines available; create them with 'giflab-perfctl baseline create'");
  const DetectionPolicy policy{threshold, config_.performance.confidence_level};
  const std::string otherControl = setAsideOtherControls(baselines, controlIdentity(config_));

  // The first look after min_iterations runs (sequential.hpp); each
  // scenario's iterations is its most.
  std::vector<RunPlan> plans;
  std::vector<const Scenario*> withoutBaseline;
  std::map<std::string, LookPlan> looks;
  for (const auto* s : scenarios) {
    if (!baselines.count(s->name)) {
      withoutBaseline.push_back(s);
      continue;
    }
    const size_t most = static_cast<size_t>(s->iterations);
    looks[s->name] = {std::min(static_cast<size_t>(config_.performance.min_iterations), most), most};
    plans.push_back({s, static_cast<int>(looks[s->name].minRuns), true, 0, s->iterations});
  }
  // The control runs interleaved with the scenarios: how fast the machine
  // is now, against when each baseline was taken.
  const Scenario control = controlScenario(config_);
  const bool controlIsAScenario =
      std::any_of(plans.begin(), plans.end(), [&](const RunPlan& p) { return p.scenario->name == control.name; });
  const bool anyControlBaseline = std::any_of(baselines.begin(), baselines.end(),
                                              [](const auto& kv) { return !kv.second.control_times.empty(); });
  if (anyControlBaseline) planControl(plans, control);
  const VersionProbe versions = co_await probeVersions(config_, scenarios, cancel);
  // Progress over the runs a check takes at most (the maximum of every
  // scenario, and the control's beside them); it ends early when it settles.
  int plannedRuns = 0;
  for (const auto& [name, look] : looks) plannedRuns += config_.findScenario(name)->warmup + static_cast<int>(look.maxRuns);
  if (anyControlBaseline && !controlIsAScenario) {
    size_t most = 0;
    for (const auto& [name, look] : looks) most = std::max(most, look.maxRuns);
    plannedRuns += 2 * (control.warmup + static_cast<int>(most));
  }
  const ProgressFn overall = progressOverRuns(progress, plannedRuns);
  std::vector<ScenarioMeasurement> measured;
  const CpuPressureWindow runQueue;  // how long tasks waited for a CPU while this check measured
  if (!plans.empty()) measured = co_await runInterleaved(plans, cancel, overall);
  std::optional<ScenarioMeasurement> controlRun = takeControl(measured, control.name, controlIsAScenario);
  const auto controlMeasured = [&] { return controlRun && !controlRun->error; };
  auto compare = [&] {
    return compareWithBaselines(measured, controlMeasured() ? controlRun : std::nullopt, baselines,
                                policy, runQueue.share().value_or(-1));
  };
  // Look after every round: a scenario whose verdict is settled stops; one
  // inconclusive at its most goes on, a round at a time, up to as many runs
  // again (remeasureInconclusive), with looks of its own over those.
  std::set<std::string> extended;
  Comparison comparison;
  for (;;) {
    comparison = compare();
    std::vector<RunPlan> round;
    for (auto& r : comparison.scenarios) {
      LookPlan& look = looks.at(r.scenario);
      const Scenario& s = *config_.findScenario(r.scenario);
      const auto& m = *std::find_if(measured.begin(), measured.end(),
                                    [&](const ScenarioMeasurement& x) { return x.scenario == r.scenario; });
      if (needsAnotherRun(r, look, extended, s, m, policy, options.remeasureInconclusive))
        round.push_back({&s, 1, false, static_cast<int>(r.iterations), static_cast<int>(look.maxRuns)});
    }
    if (round.empty()) break;
    co_await measureAnotherRound(std::move(round), measured, controlRun, control,
                                 controlIsAScenario ? config_.findScenario(control.name) : nullptr, cancel, overall);
    // A scenario that failed in this round is out of the comparison: its looks end.
  }
  CheckReport report = assembleReport(measured, std::move(comparison), baselines, options.action, versions,
                                      controlMeasured() ? &*controlRun : nullptr);
  if (!otherControl.empty()) report.warnings.push_back(otherControl);
  for (const auto* s : withoutBaseline)
    report.scenarios.push_back(ScenarioReport::failed(
        s->name, "no baseline for scenario " + s->name + "; run 'giflab-perfctl baseline create --scenario " + s->name + "'"));
  report.threshold = threshold;
  report.confidence = policy.confidence;
  report.failCiOnRegression = config_.performance.fail_ci_on_regression;
  if (controlRun && controlRun->error)
    report.controlError = "the control " + control.name + " could not be measured; times are judged without it: " +
                          *controlRun->error;
  co_return report;
}

CheckReport Engine::assembleReport(const std::vector<ScenarioMeasurement>& measured, Comparison comparison,
                                   const std::map<std::string, Baseline>& baselines, const std::string& action,
                                   const VersionProbe& versions, const ScenarioMeasurement* control) {
  const Fingerprint fp = Fingerprint::current();
  CheckReport report;
  report.action = action;
  report.warnings = versions.warnings;
  report.timestamp = nowIso8601();
  report.scenariosFactor = comparison.scenariosFactor;
  if (comparison.cpuPressure >= 0) report.cpuPressure = comparison.cpuPressure;
  std::vector<MachineFactor> machines;
  auto compared = comparison.scenarios.begin();
  for (const auto& m : measured) {
    if (m.error) {
      report.scenarios.push_back(ScenarioReport::failed(m.scenario, *m.error));
      continue;
    }
    recordHistory(m, action == "monitor" ? "monitor" : "ci", versions, controlRunsBeside(control, m));
    ScenarioReport r = std::move(*compared++);
    if (const Scenario* s = config_.findScenario(m.scenario))
      r.budgets = checkBudgets(s->budget, m.processingTimes(), m.memoryUsages(), config_.performance.confidence_level);
    if (auto v = versions.byScenario.find(m.scenario); v != versions.byScenario.end()) r.version = v->second;
    r.fingerprintChanges = baselines.at(m.scenario).fingerprint.differences(fp);
    if (r.machine) machines.push_back(*r.machine);
    report.scenarios.push_back(std::move(r));
  }
  // The machine as a whole: the median factor over the scenarios' baselines
  // (taken at different times), moved when most of them say so.
  if (!machines.empty()) {
    std::sort(machines.begin(), machines.end(), [](const auto& a, const auto& b) { return a.factor < b.factor; });
    MachineFactor typical = machines[machines.size() / 2];
    const auto moved = std::count_if(machines.begin(), machines.end(), [](const auto& m) { return m.moved; });
    typical.moved = 2 * static_cast<size_t>(moved) > machines.size();
    report.machine = typical;
  }
  return report;
}

asio::awaitable<CheckReport> Engine::measureAndRecord(std::vector<std::string> names, std::string source,
                                                      Cancellation cancel, ProgressFn progress) {
  std::vector<RunPlan> plans;
  const auto scenarios = selectScenarios(names, names.empty());
  for (const auto* s : scenarios) plans.push_back({s, s->iterations});
  CheckReport report;
  report.action = source;
  const VersionProbe versions = co_await probeVersions(config_, scenarios, cancel);
  report.warnings = versions.warnings;
  for (const auto& m : co_await runInterleaved(plans, cancel, progress)) {
    if (m.error) {
      report.scenarios.push_back(ScenarioReport::failed(m.scenario, *m.error));
      continue;
    }
    recordHistory(m, source, versions);
    ScenarioReport r;
    r.scenario = m.scenario;
    if (const Scenario* s = config_.findScenario(m.scenario))
      r.budgets = checkBudgets(s->budget, m.processingTimes(), m.memoryUsages(), config_.performance.confidence_level);
    if (auto v = versions.byScenario.find(m.scenario); v != versions.byScenario.end()) r.version = v->second;
    r.processingTime = stats::median(m.processingTimes());
    r.memoryUsage = stats::median(m.memoryUsages());
    r.iterations = m.samples.size();
    report.scenarios.push_back(std::move(r));
  }
  report.timestamp = nowIso8601();
  co_return report;
}

asio::awaitable<json> Engine::validate(Cancellation cancel, ProgressFn progress) {
  const auto& perf = config_.performance;
  json result = {{"validate_phase6", perf.validate_phase6}, {"validations", json::array()}, {"timestamp", nowIso8601()}};
  if (!perf.validate_phase6) {
    result["overall_result"] = kValidationResultNames.name(ValidationResult::Disabled);
    result["message"] =
        "Phase 6 validation is disabled; set performance.validate_phase6 to true or "
        "GIFLAB_ENABLE_PHASE6_OPTIMIZATION=true";
    co_return result;
  }
  if (!config_.phase6)
    throw Error(ErrorKind::Config, (config_.source.empty() ? std::string("the config") : config_.source.string()) +
                                       ": no \"phase6\" pair; add {\"reference\": SCENARIO, \"candidate\": SCENARIO}");
  const auto& pair = *config_.phase6;
  const Scenario* ref = config_.findScenario(pair.reference);
  const Scenario* cand = config_.findScenario(pair.candidate);
  // Interleaved, so that both see the same machine; from min_iterations
  // runs a side on, a look after every pair, until the speed-up is surely on
  // one side of the minimum or the pair's iterations are reached.
  const double minimum = perf.phase6_baseline_speedup * (1 - perf.phase6_regression_alert);
  const LookPlan look{std::min(static_cast<size_t>(perf.min_iterations), static_cast<size_t>(pair.iterations)),
                      static_cast<size_t>(pair.iterations)};
  std::vector<const Scenario*> pairScenarios{ref, cand};  // named: g++ 12 cannot pass a braced list through co_await
  const VersionProbe versions = co_await probeVersions(config_, pairScenarios, cancel);
  const int first = static_cast<int>(look.minRuns);
  std::vector<RunPlan> plans{{ref, first, true, 0, pair.iterations}, {cand, first, true, 0, pair.iterations}};
  auto m = co_await runInterleaved(plans, cancel, progress);
  SpeedupLook seen = SpeedupLook::Undecided;
  for (;;) {
    for (const auto& x : m)
      if (x.error) throw Error(ErrorKind::ScenarioFailed, *x.error);
    seen = speedupAtLook(m[0].processingTimes(), m[1].processingTimes(), minimum, look, perf.confidence_level);
    const int runs = static_cast<int>(m[0].samples.size());
    if (seen != SpeedupLook::Undecided || runs >= pair.iterations) break;
    plans = {{ref, 1, false, runs, pair.iterations}, {cand, 1, false, runs, pair.iterations}};
    const auto more = co_await runInterleaved(plans, cancel, progress);
    for (size_t k = 0; k < m.size(); ++k) appendRuns(m[k], more[k]);
  }
  for (const auto& x : m) recordHistory(x, "validate", versions);
  if (!versions.warnings.empty()) result["warnings"] = versions.warnings;
  const double refMedian = stats::median(m[0].processingTimes());
  const double candMedian = stats::median(m[1].processingTimes());
  const double speedup = candMedian > 0 ? refMedian / candMedian : 0;
  // Settled early by the interval; at the last look, the ratio of medians.
  const auto outcome = seen == SpeedupLook::Above   ? ValidationResult::Passed
                       : seen == SpeedupLook::Below ? ValidationResult::Failed
                       : speedup >= minimum         ? ValidationResult::Passed
                                                    : ValidationResult::Failed;
  const double loss = perf.phase6_baseline_speedup > 0 ? std::max(0.0, 1 - speedup / perf.phase6_baseline_speedup) : 0;
  result["validations"].push_back({{"name", "phase6"},
                                   {"reference", pair.reference},
                                   {"candidate", pair.candidate},
                                   {"reference_time", refMedian},
                                   {"candidate_time", candMedian},
                                   {"speedup", speedup},
                                   {"expected_speedup", perf.phase6_baseline_speedup},
                                   {"minimum_speedup", minimum},
                                   {"speedup_loss", loss},
                                   {"iterations", pair.iterations},
                                   {"runs", m[0].samples.size()},
                                   {"stopped", seen == SpeedupLook::Undecided ? kStopMaximum : kStopSettled},
                                   {"status", kValidationResultNames.name(outcome)}});
  result["overall_result"] = kValidationResultNames.name(outcome);
  co_return result;
}

json Engine::status(bool verbose) const {
  json out = {{"version", kVersion},
              {"config", config_.source.string()},
              {"state_dir", stateDir_.string()},
              {"enabled", config_.performance.enabled},
              {"regression_threshold", config_.performance.regression_threshold},
              {"confidence_level", config_.performance.confidence_level},
              {"monitoring_interval", config_.performance.monitoring_interval},
              {"messages", json::array()}};
  if (!config_.repository.empty()) out["repository"] = config_.repository.string();
  std::map<std::string, Baseline> baselines;
  try {
    baselines = BaselineStore(stateDir_).load();
  } catch (const Error& e) {
    out["messages"].push_back(e.what());
  }
  std::map<std::string, HistoryPoint> last;
  const auto stats = HistoryStore(stateDir_, config_.performance.max_history_days)
                         .read({}, [&](const HistoryPoint& p) {
                           // The newest by time: lines need not be in time order.
                           auto it = last.find(p.scenario);
                           if (it == last.end() || p.time >= it->second.time) last[p.scenario] = p;
                         });
  json scenarios = json::array();
  for (const auto& s : config_.scenarios) {
    json item = {{"name", s.name}, {"description", s.description}, {"monitored", s.monitored},
                 {"has_baseline", baselines.count(s.name) > 0}};
    if (auto it = baselines.find(s.name); it != baselines.end()) {
      item["baseline"] = {{"mean_processing_time", it->second.mean_processing_time},
                          {"mean_memory_usage", it->second.mean_memory_usage},
                          {"sample_count", it->second.sample_count},
                          {"last_updated", it->second.last_updated}};
    }
    if (auto it = last.find(s.name); it != last.end())
      item["last_run"] = {{"timestamp", it->second.timestamp},
                          {"processing_time", it->second.processingTime},
                          {"memory_usage", it->second.memoryUsage}};
    // Headroom against the last run: how close the pipeline is to its limit.
    if (!s.budget.empty()) {
      json budget = json::object();
      for (const auto& [metric, limit] : {std::pair{kProcessingTime, s.budget.processingTime},
                                          std::pair{kMemoryUsage, s.budget.memoryUsage}}) {
        if (!limit) continue;
        json b = {{"budget", *limit}};
        if (auto it = last.find(s.name); it != last.end()) {
          const double value = metric == std::string(kProcessingTime) ? it->second.processingTime : it->second.memoryUsage;
          b.update({{"last", value}, {"headroom", (*limit - value) / *limit}, {"text", describeHeadroom(metric, value, *limit)}});
        }
        budget[metric] = b;
      }
      item["budget"] = budget;
    }
    if (verbose) {
      item["command"] = s.command;
      item["data_pattern"] = s.data_pattern;
      item["iterations"] = s.iterations;
      item["timeout"] = s.timeout;
    }
    scenarios.push_back(item);
  }
  out["scenarios"] = scenarios;
  out["baselines"] = baselines.size();
  out["history_records"] = stats.records;
  out["history_skipped_lines"] = stats.skipped;
  const AlertState alerts = AlertStore(stateDir_).load();
  out["open_regressions"] = alerts.open;
  out["exceeded_budgets"] = alerts.budgets;
  if (verbose) out["pending_regressions"] = alerts.pending;
  if (alerts.machine.factor != 1.0)
    out["machine"] = {{"factor", alerts.machine.factor},
                      {"since", alerts.machine.since},
                      {"control_current", alerts.machine.controlCurrent},
                      {"control_baseline", alerts.machine.controlBaseline},
                      {"message", describeMachine(alerts.machine.factor, alerts.machine.controlCurrent,
                                                  alerts.machine.controlBaseline)}};
  if (!config_.performance.enabled)
    out["messages"].push_back(
        "Performance monitoring is disabled; enable it with performance.enabled = true in the config or "
        "GIFLAB_ENABLE_PERFORMANCE_MONITORING=true");
  if (baselines.empty())
    out["messages"].push_back("No performance baselines available; create them with 'giflab-perfctl baseline create'");
  if (auto other = setAsideOtherControls(baselines, controlIdentity(config_)); !other.empty())
    out["messages"].push_back(other);
  return out;
}

namespace {

std::string isoOfEpoch(double t) {
  return formatIso8601(SysTime(std::chrono::duration_cast<SysTime::duration>(std::chrono::duration<double>(t))));
}

// The contract's change points of one scenario's metric: index and
// timestamp of the first record of the new level, medians before and after,
// relative size, the shift's interval (relative to before) and p-value.
json changePointsOf(const SeriesAccumulator& s, const std::string& metric, const ChangePointOptions& options) {
  json cps = json::array();
  for (const auto& cp : detectChangePoints(metric == kProcessingTime ? s.processingTimes() : s.memoryUsages(), options)) {
    const double scale = cp.before != 0 ? std::fabs(cp.before) : 1.0;
    json point = {{"index", s.firstIndex()[cp.index]},
                   {"timestamp", isoOfEpoch(s.times()[cp.index])},
                   {"before", cp.before},
                   {"after", cp.after},
                   {"relative_change", cp.relativeChange},
                   {"shift", cp.shift},
                   {"shift_ci", {cp.shiftLow / scale, cp.shiftHigh / scale}},
                   {"p_value", cp.pValue},
                   {"direction", kChangeDirectionNames.name(cp.direction)}};
    // Which change did it: the last version before the new level, the first on it.
    if (auto v = s.versionBefore(cp.index); !v.empty()) point["version_before"] = v;
    if (auto v = s.versionAfter(cp.index); !v.empty()) point["version_after"] = v;
    cps.push_back(std::move(point));
  }
  json out = {{"metric", metric}, {"points", s.records()}, {"change_points", cps}};
  if (s.binWidth() > 1) out["bin_width"] = s.binWidth();  // long series are analysed in bins
  return out;
}

// The trend of the stretch since the last change point: a step is not a
// trend, and a line drawn across one would call a flat series degrading.
json trendSinceLastChange(const SeriesAccumulator& s, const std::string& metric, const ChangePointOptions& options,
                          double confidence) {
  const auto& values = metric == kProcessingTime ? s.processingTimes() : s.memoryUsages();
  const auto cps = detectChangePoints(values, options);
  const size_t from = cps.empty() ? 0 : cps.back().index;
  const std::vector<double> times(s.times().begin() + static_cast<long>(from), s.times().end());
  const std::vector<double> stretch(values.begin() + static_cast<long>(from), values.end());
  json t = analyzeTrend(times, stretch, confidence);
  t["points_total"] = s.records();
  if (!cps.empty()) {
    t["since_change_point"] = isoOfEpoch(s.times()[from]);
    t["points"] = from < s.firstIndex().size() ? s.records() - s.firstIndex()[from] : stretch.size();
  } else {
    t["points"] = s.records();
  }
  return t;
}

std::vector<std::string> metricsOf(const std::optional<std::string>& metric) {
  if (metric) return {*metric};
  return {kProcessingTime, kMemoryUsage};
}

}  // namespace

json Engine::history(const HistoryQuery& q) const {
  if (q.days < 1 || q.days > 3650) throw Error(ErrorKind::InvalidArgument, "--days must be from 1 to 3650");
  requireChangePointOptions(q.changeOptions);
  if (q.metric) requireMetricName(*q.metric);
  if (q.scenario && !isValidScenarioName(*q.scenario))
    throw Error(ErrorKind::InvalidArgument, "\"" + shortened(*q.scenario) + "\" is not a scenario name");
  HistoryFilter filter;
  filter.scenario = q.scenario;
  filter.version = q.version;
  filter.environment = q.environment;
  filter.since = std::chrono::system_clock::now() - std::chrono::hours(24) * q.days;
  std::map<std::string, SeriesAccumulator> series;
  std::deque<HistoryPoint> newest;
  uint64_t count = 0;
  const bool wantSeries = q.trend || q.changes;
  const auto rs = HistoryStore(stateDir_, config_.performance.max_history_days).read(filter, [&](const HistoryPoint& p) {
    ++count;
    if (q.maxRecords > 0) {
      newest.push_back(p);
      if (newest.size() > q.maxRecords) newest.pop_front();
    }
    if (wantSeries) series[p.scenario].add(toEpochSeconds(p.time), p.processingTime, p.memoryUsage, p.version);
  });
  for (auto& [name, s] : series) s.finish();
  // A scenario that left the config still has its history; one that never
  // had any is a typo.
  if (q.scenario && count == 0 && !config_.findScenario(*q.scenario)) {
    HistoryFilter any;
    any.scenario = q.scenario;
    uint64_t ever = 0;
    HistoryStore(stateDir_, config_.performance.max_history_days).read(any, [&](const HistoryPoint&) { ++ever; });
    if (ever == 0) throw unknownScenario(*q.scenario);
  }
  json records = json::array();
  for (const auto& p : newest) {
    json r = {{"timestamp", p.timestamp}, {"scenario", p.scenario}};
    if (!q.metric || *q.metric == kProcessingTime) r[kProcessingTime] = p.processingTime;
    if (!q.metric || *q.metric == kMemoryUsage) r[kMemoryUsage] = p.memoryUsage;
    if (!p.version.empty()) r["version"] = p.version;
    if (!p.environment.empty()) r["environment"] = p.environment;
    records.push_back(r);
  }
  json out = {{"days", q.days}, {"total_records", count}, {"records", records}, {"skipped_lines", rs.skipped}};
  if (q.scenario) out["scenario"] = *q.scenario;
  if (q.metric) out["metric"] = *q.metric;
  if (q.version) out["version"] = *q.version;
  if (q.environment) out["environment"] = *q.environment;
  if (q.trend) {
    json trends = json::array();
    for (const auto& [name, s] : series)
      for (const auto& m : metricsOf(q.metric)) {
        json t = trendSinceLastChange(s, m, q.changeOptions, config_.performance.confidence_level);
        t["scenario"] = name;
        t["metric"] = m;
        trends.push_back(t);
      }
    out["trends"] = trends;
  }
  if (q.changes) {
    json changes = json::array();
    for (const auto& [name, s] : series)
      for (const auto& m : metricsOf(q.metric)) {
        json c = changePointsOf(s, m, q.changeOptions);
        c["scenario"] = name;
        changes.push_back(c);
      }
    out["changes"] = changes;
  }
  return out;
}

json Engine::analyzeFile(const fs::path& file, const std::optional<std::string>& metric,
                         const ChangePointOptions& options, const std::optional<std::string>& environment) {
  if (metric) requireMetricName(*metric);
  requireChangePointOptions(options);
  std::error_code ec;
  const auto type = fs::status(file, ec);
  if (!fs::exists(type))
    throw Error(ErrorKind::InvalidArgument, file.string() + ": no such file; give a JSON Lines file of history records");
  if (!fs::is_regular_file(type))
    throw Error(ErrorKind::InvalidArgument,
                file.string() + " " + describeNonRegular(type) + "; give a JSON Lines file of history records");
  std::map<std::string, SeriesAccumulator> series;
  HistoryFilter filter;
  filter.environment = environment;
  const auto rs = readHistoryFile(file, filter, [&](const HistoryPoint& p) {
    series[p.scenario].add(toEpochSeconds(p.time), p.processingTime, p.memoryUsage, p.version);
  });
  if (rs.records == 0)
    throw Error(ErrorKind::InvalidArgument,
                "no history records in " + file.string() + " (" + std::to_string(rs.skipped) +
                    " damaged lines skipped); each line must be a JSON object with timestamp, scenario, "
                    "processing_time and memory_usage");
  json results = json::array();
  for (auto& [name, s] : series) {
    s.finish();
    for (const auto& m : metricsOf(metric)) {
      json c = changePointsOf(s, m, options);
      c["scenario"] = name;
      results.push_back(c);
    }
  }
  json out = {{"file", file.string()}, {"records", rs.records}, {"skipped_lines", rs.skipped}, {"results", results}};
  if (environment) out["environment"] = *environment;
  return out;
}

json Engine::depsCheck() const {
  json checks = json::array();
  auto add = [&](const std::string& name, bool ok, const std::string& detail) {
    checks.push_back({{"check", name}, {"ok", ok}, {"detail", detail}});
  };
  add("config", true, config_.source.string() + " (" + std::to_string(config_.scenarios.size()) + " scenarios)");
  const fs::path helper = findExecHelper();
  add("measuring helper", ::access(helper.c_str(), X_OK) == 0, helper.string());
  {
    std::error_code ec;
    fs::create_directories(stateDir_, ec);
    const bool writable = !ec && ::access(stateDir_.c_str(), W_OK) == 0;
    add("state folder", writable,
        stateDir_.string() + (writable ? " (writable)" : " is not writable; pass --state-dir DIR or fix its permissions"));
  }
  try {
    const auto b = BaselineStore(stateDir_).load();
    add("baselines", true, std::to_string(b.size()) + " in " + BaselineStore(stateDir_).path().string());
  } catch (const Error& e) {
    add("baselines", false, e.what());
  }
  for (const auto& s : config_.scenarios) {
    const std::string& prog = s.command.front();
    bool found = false;
    std::string where;
    if (prog.find('/') != std::string::npos) {
      found = ::access(prog.c_str(), X_OK) == 0;
      where = prog;
    } else if (const char* path = std::getenv("PATH")) {
      std::string p = path;
      for (size_t start = 0; start <= p.size() && !found;) {
        size_t end = p.find(':', start);
        if (end == std::string::npos) end = p.size();
        const fs::path candidate = fs::path(p.substr(start, end - start)) / prog;
        if (::access(candidate.c_str(), X_OK) == 0) found = true, where = candidate.string();
        start = end + 1;
      }
    }
    add("scenario " + s.name + ": command", found,
        found ? where : prog + " not found on PATH; install it or give its full path in the config");
    try {
      const auto inputs = resolveInputs(s);
      add("scenario " + s.name + ": data", true,
          inputs.empty() ? "no input files needed" : std::to_string(inputs.size()) + " files match " + s.data_pattern);
    } catch (const Error& e) {
      add("scenario " + s.name + ": data", false, e.what());
    }
  }
  bool allOk = true;
  for (const auto& c : checks) allOk = allOk && c["ok"].get<bool>();
  return {{"checks", checks}, {"ok", allOk}};
}

}  // namespace giflab
