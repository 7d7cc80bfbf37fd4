#include "common/cycle/monitor_cycle.hpp"

#include <cmath>

#include <algorithm>

#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include "common/detect/analysis.hpp"
#include "common/store/baseline.hpp"
#include "common/store/history.hpp"
#include "common/detect/detection.hpp"
#include "common/detect/series.hpp"
#include "common/base/error.hpp"
#include "common/base/timeutil.hpp"

namespace giflab {
using nlohmann::json;

namespace {
constexpr double kOpenAtOnceLowerBound = 0.50;
constexpr long kLongestConfirmationPause = 60;  // seconds

auto findEntry(std::vector<AlertEntry>& v, const std::string& scenario, const std::string& metric) {
  return std::find_if(v.begin(), v.end(),
                      [&](const AlertEntry& a) { return a.scenario == scenario && a.metric == metric; });
}
// Every comparison of the scenarios that ran: a failed run says nothing about regressions.
template <typename F>
void forEachMetric(const CheckReport& check, F&& f) {
  for (const auto& s : check.scenarios)
    for (const auto* m : s.metrics()) f(s.scenario, *m);
}

// A sighting whose interval reaches under the threshold: it waits before its
// re-run (confirmationPause), and on a swinging scenario it needs the next
// cycle too (needingTheNextCycle). One notion, so the two rules agree.
bool mayBeUnderThreshold(const MetricComparison& m, double threshold) { return m.shiftLow < threshold; }

// An open regression counts a cycle towards closing only when the metric is
// clearly back: its change at most half the threshold. A check that merely
// failed to show it over the threshold (+8 % against 10 %, an interval up to
// +20 %) is the same episode still; closing on it let a regression that
// hovered about the threshold close and open again within minutes (the live
// A/B of 2026-12-04: three openings of one episode in four minutes).
constexpr double kClearlyBackShareOfThreshold = 0.5;
bool clearlyBack(const MetricComparison& m, double threshold) {
  return m.verdict == Verdict::NotRegressed && m.relativeChange <= kClearlyBackShareOfThreshold * threshold;
}

bool oneCycleCanTellOf(const AlertState& state, const std::string& scenario, const CheckReport& check) {
  const auto found = state.timeChanges.find(scenario);
  return found != state.timeChanges.end() && oneCycleCanTell(found->second, check.threshold, check.confidence);
}

AlertEntry entryFor(const std::string& scenario, const MetricComparison& m, double threshold, const std::string& now) {
  AlertEntry entry;
  entry.scenario = scenario;
  entry.metric = m.metric;
  entry.severity = m.severity == Severity::None ? Severity::Info : m.severity;
  entry.regression = m.regression;
  entry.current = m.current;
  entry.baseline = m.baseline;
  entry.since = now;
  entry.shiftLow = m.shiftLow;
  entry.shiftHigh = m.shiftHigh;
  entry.threshold = threshold;
  return entry;
}
}  // namespace

Candidates newRegressions(const CheckReport& check, const AlertState& state) {
  Candidates out;
  forEachMetric(check, [&](const std::string& scenario, const MetricComparison& m) {
    if (m.verdict != Verdict::Regressed) return;
    auto same = [&](const AlertEntry& a) { return a.scenario == scenario && a.metric == m.metric; };
    if (std::none_of(state.open.begin(), state.open.end(), same) &&
        std::none_of(state.pending.begin(), state.pending.end(), same))
      out.insert({scenario, m.metric});
  });
  return out;
}

std::chrono::seconds confirmationPause(const CheckReport& check, const Candidates& candidates,
                                       const PerformanceSettings& pace) {
  const long intervalSeconds = pace.unsettledInterval();
  bool mayBeUnder = false;
  forEachMetric(check, [&](const std::string& scenario, const MetricComparison& m) {
    if (candidates.count({scenario, m.metric}) && mayBeUnderThreshold(m, check.threshold)) mayBeUnder = true;
  });
  return mayBeUnder ? std::chrono::seconds(std::clamp(intervalSeconds, 0L, kLongestConfirmationPause)) : std::chrono::seconds(0);
}

bool confirmableAtOnce(const CheckReport& check) { return !(check.machine && check.machine->unsteady); }

Confirmations confirmedBy(const CheckReport& rerun, const Candidates& candidates) {
  Confirmations out;
  forEachMetric(rerun, [&](const std::string& scenario, const MetricComparison& m) {
    const AlertKey key{scenario, m.metric};
    if (candidates.count(key) && m.verdict == Verdict::Regressed) out.emplace(key, m);
  });
  return out;
}

void noteTimeChanges(const CheckReport& check, AlertState& state) {
  // A scenario no longer monitored takes its window with it.
  std::erase_if(state.timeChanges, [&](const auto& window) {
    return std::none_of(check.scenarios.begin(), check.scenarios.end(),
                        [&](const ScenarioReport& s) { return s.scenario == window.first; });
  });
  for (const auto& s : check.scenarios) {
    if (s.error || !s.time || !std::isfinite(s.time->relativeChange)) continue;
    if (findEntry(state.open, s.scenario, kProcessingTime) != state.open.end()) continue;
    auto& changes = state.timeChanges[s.scenario];
    changes.push_back({s.time->relativeChange, (s.time->shiftHigh - s.time->shiftLow) / 2});
    if (changes.size() > kSwingWindow) changes.erase(changes.begin(), changes.end() - kSwingWindow);
  }
}

Candidates needingTheNextCycle(const CheckReport& check, const Candidates& candidates, const AlertState& state) {
  Candidates out;
  forEachMetric(check, [&](const std::string& scenario, const MetricComparison& m) {
    if (m.metric == kProcessingTime && candidates.count({scenario, m.metric}) && mayBeUnderThreshold(m, check.threshold) &&
        !oneCycleCanTellOf(state, scenario, check))
      out.insert({scenario, m.metric});
  });
  return out;
}

RerunDecision decideByRerun(const CheckReport& check, const CheckReport& rerun, const Candidates& candidates,
                            const AlertState& state) {
  RerunDecision d;
  d.confirmed = confirmedBy(rerun, candidates);
  const Candidates slow = needingTheNextCycle(check, candidates, state);
  for (const auto& key : slow) d.confirmed.erase(key);
  forEachMetric(rerun, [&](const std::string& scenario, const MetricComparison& m) {
    if (slow.count({scenario, m.metric}) && (m.verdict == Verdict::NotRegressed || m.verdict == Verdict::Environment))
      d.ended.insert({scenario, m.metric});
  });
  return d;
}

void endSightings(AlertState& state, const Candidates& ended) {
  for (const auto& [scenario, metric] : ended)
    if (auto pending = findEntry(state.pending, scenario, metric); pending != state.pending.end())
      state.pending.erase(pending);
}

std::vector<AlertEvent> applyCheck(const CheckReport& check, AlertState& state, const Confirmations& confirmed,
                                   int closeAfterCycles) {
  std::vector<AlertEvent> events;
  const std::string now = check.timestamp.empty() ? nowIso8601() : check.timestamp;
  forEachMetric(check, [&](const std::string& scenario, const MetricComparison& m) {
    auto open = findEntry(state.open, scenario, m.metric);
    auto pending = findEntry(state.pending, scenario, m.metric);
    AlertEntry entry = entryFor(scenario, m, check.threshold, now);
    switch (m.verdict) {
      case Verdict::Regressed: {
        if (open != state.open.end()) {
          entry.since = open->since;
          entry.began = open->began;
          entry.versionBefore = open->versionBefore;
          entry.versionAfter = open->versionAfter;
          *open = entry;  // still open: no new alert (and the calm count starts again)
          return;
        }
        const double lower = entry.shiftLow;
        const auto confirmation = confirmed.find({scenario, m.metric});
        // Confirmed by a re-run: the alert reports the re-run, which a change
        // that began during the first measurement did not cut in two.
        if (confirmation != confirmed.end()) entry = entryFor(scenario, confirmation->second, check.threshold, now);
        // The code this check measured, and what the monitor's check before it measured.
        if (auto last = state.lastVersions.find(scenario); last != state.lastVersions.end())
          entry.versionBefore = last->second;
        for (const auto& s : check.scenarios)
          if (s.scenario == scenario) entry.versionAfter = s.version;
        if (pending == state.pending.end() && confirmation == confirmed.end() && lower < kOpenAtOnceLowerBound) {
          state.pending.push_back(entry);
          return;
        }
        if (pending != state.pending.end()) {
          entry.since = pending->since;
          entry.versionBefore = pending->versionBefore;  // the first sighting's
          entry.versionAfter = pending->versionAfter;
          state.pending.erase(pending);
        }
        state.open.push_back(entry);
        events.push_back({AlertEvent::Kind::Detected, entry, now});
        return;
      }
      case Verdict::Inconclusive:  // leaves everything as it was until a cycle decides
        return;
      case Verdict::Environment:
      case Verdict::NotRegressed:
        // An open regression closes after cycles in a row that find the
        // metric clearly back. A change under the threshold but over half of
        // it is not back: the count starts again (as for a budget). An
        // Environment verdict (over the threshold as measured, the machine
        // explains it) tells neither way, like an inconclusive one: it keeps
        // the count.
        if (open != state.open.end() && m.verdict == Verdict::NotRegressed) {
          open->calmCycles = clearlyBack(m, check.threshold) ? open->calmCycles + 1 : 0;
          if (open->calmCycles >= closeAfterCycles) {
            events.push_back({AlertEvent::Kind::Resolved, *open, now});
            state.open.erase(open);
          }
        }
        if (pending != state.pending.end()) state.pending.erase(pending);
        return;
    }
  });
  for (const auto& s : check.scenarios)
    if (!s.version.empty()) state.lastVersions[s.scenario] = s.version;
  return events;
}

RegressionOrigin regressionOrigin(const Engine& engine, const std::string& scenario, const std::string& metric) {
  SeriesAccumulator series;
  std::vector<std::string> stamps;
  HistoryFilter f;
  f.scenario = scenario;
  HistoryStore(engine.stateDir(), engine.config().performance.max_history_days).read(f, [&](const HistoryPoint& p) {
    series.add(toEpochSeconds(p.time), p.processingTime, p.memoryUsage, p.version);
    stamps.push_back(p.timestamp);
  });
  series.finish();
  RegressionOrigin origin;
  // The last upward change point of the metric's history marks the start.
  const auto& values = metric == kMemoryUsage ? series.memoryUsages() : series.processingTimes();
  for (const auto& cp : detectChangePoints(values))
    if (cp.direction == ChangeDirection::Regression)
      origin = {stamps[series.firstIndex()[cp.index]], series.versionBefore(cp.index), series.versionAfter(cp.index)};
  return origin;
}

std::vector<BudgetEvent> applyBudgets(const CheckReport& check, AlertState& state, int closeAfterCycles) {
  std::vector<BudgetEvent> events;
  const std::string now = check.timestamp.empty() ? nowIso8601() : check.timestamp;
  for (const auto& s : check.scenarios) {
    if (s.error) continue;  // a failed run says nothing about the budget
    auto find = [&](const std::string& metric) {
      return std::find_if(state.budgets.begin(), state.budgets.end(),
                          [&](const BudgetAlert& b) { return b.scenario == s.scenario && b.metric == metric; });
    };
    for (const auto& b : s.budgets) {
      auto open = find(b.metric);
      if (b.exceeded) {
        if (open != state.budgets.end()) {
          open->value = b.median, open->budget = b.budget, open->calmCycles = 0;
          continue;
        }
        state.budgets.push_back({s.scenario, b.metric, b.median, b.budget, now, 0});
        events.push_back({BudgetEvent::Kind::Exceeded, state.budgets.back(), now});
      } else if (open != state.budgets.end()) {
        open->value = b.median;
        if (!b.within()) open->calmCycles = 0;  // not shown to be over, but not back either
        else if (++open->calmCycles >= closeAfterCycles) {
          events.push_back({BudgetEvent::Kind::Restored, *open, now});
          state.budgets.erase(open);
        }
      }
    }
    // A budget taken out of the config is no longer exceeded.
    for (auto it = state.budgets.begin(); it != state.budgets.end();) {
      const bool still = it->scenario != s.scenario ||
                         std::any_of(s.budgets.begin(), s.budgets.end(), [&](const BudgetCheck& b) { return b.metric == it->metric; });
      if (still) {
        ++it;
        continue;
      }
      events.push_back({BudgetEvent::Kind::Restored, *it, now});
      it = state.budgets.erase(it);
    }
  }
  return events;
}

std::optional<EnvironmentEvent> applyMachine(const CheckReport& check, MachineState& state) {
  if (!check.machine) return std::nullopt;
  const MachineFactor& m = *check.machine;
  const double factor = m.factor;
  // A machine under load wanders: 1.9 then 2.1 is the same shift. Two
  // factors are the same shift when they differ by less than a quarter of
  // the first one's distance from 1, and less than kMachineAnnounceStep.
  auto sameShift = [](double a, double b) {
    return std::fabs(a - b) < std::max(kMachineAnnounceStep, 0.25 * std::fabs(a - 1));
  };
  auto announce = [&](double f) {
    state.factor = f;
    state.pendingFactor = 0;
    state.since = check.timestamp;
    state.controlCurrent = m.current;
    state.controlBaseline = m.baseline;
    state.calmCycles = 0;
    return EnvironmentEvent{f, state.controlCurrent, state.controlBaseline, state.since};
  };
  if (m.moved) {
    state.calmCycles = 0;
    if (state.factor != 1.0 && sameShift(state.factor, factor)) {
      state.pendingFactor = 0;
      return std::nullopt;
    }
    // A new shift is announced once the next cycle confirms it, as a
    // regression is: a cycle that a change of load cut in two sees half of it.
    if (state.pendingFactor > 0 && sameShift(state.pendingFactor, factor)) return announce(factor);
    state.pendingFactor = factor;
    return std::nullopt;
  }
  state.pendingFactor = 0;
  if (state.factor == 1.0) return std::nullopt;
  // Back to the baselines' speed only after calm cycles in a row: a machine
  // hovering at the edge is not announced back and forth.
  if (++state.calmCycles < kMachineCalmCycles) return std::nullopt;
  return announce(1.0);
}

asio::awaitable<void> pauseFor(std::chrono::seconds pause, Cancellation cancel) {
  cancel.throwIfRequested();  // a stopper registered after the request cancels a timer not yet waited on
  asio::steady_timer timer(co_await asio::this_coro::executor, pause);
  const auto stop = cancel.onRequest([&timer] { timer.cancel(); });
  asio::error_code ec;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  cancel.throwIfRequested();
}

asio::awaitable<CycleResult> runMonitorCycle(Engine& engine, Cancellation cancel, ProgressFn progress) {
  CycleResult r;
  AlertStore store(engine.stateDir());
  r.state = store.load();
  if (BaselineStore(engine.stateDir()).load().empty()) {
    // Without baselines there is nothing to compare with, but the history
    // still grows, so that a baseline can later be judged against it.
    r.check = co_await engine.measureAndRecord({}, "monitor", cancel, progress);
    r.check.noBaselines = true;
    r.check.message = "No performance baselines available; create them with 'giflab-perfctl baseline create'";
    // Budgets are absolute: they hold without baselines too.
    r.budgetEvents = applyBudgets(r.check, r.state, engine.config().performance.close_after_cycles);
    if (!r.state.budgets.empty() || !r.budgetEvents.empty()) store.save(r.state);
    co_return r;
  }
  CheckOptions o;
  o.action = "monitor";
  r.check = co_await engine.runCheck(o, cancel, progress);
  // A first sighting is measured again within this cycle: if the re-run
  // agrees, the regression is confirmed.
  RerunDecision decision;
  const Candidates candidates = newRegressions(r.check, r.state);
  if (confirmableAtOnce(r.check) && !candidates.empty()) {
    const auto pause = confirmationPause(r.check, candidates, engine.config().performance);
    if (pause.count() > 0) {
      if (progress)
        progress(1.0, "waiting " + std::to_string(pause.count()) +
                          " s before measuring a first sighting again (it may be under the threshold)");
      co_await pauseFor(pause, cancel);
    }
    CheckOptions again = o;
    for (const auto& [scenario, metric] : candidates)
      if (std::find(again.scenarios.begin(), again.scenarios.end(), scenario) == again.scenarios.end())
        again.scenarios.push_back(scenario);
    r.rerun = co_await engine.runCheck(again, cancel, progress);
    if (confirmableAtOnce(*r.rerun)) decision = decideByRerun(r.check, *r.rerun, candidates, r.state);
  }
  r.events = applyCheck(r.check, r.state, decision.confirmed, engine.config().performance.close_after_cycles);
  endSightings(r.state, decision.ended);
  noteTimeChanges(r.check, r.state);
  r.environment = applyMachine(r.check, r.state.machine);
  r.budgetEvents = applyBudgets(r.check, r.state, engine.config().performance.close_after_cycles);
  // When did it begin? The history can tell once a few points follow the
  // change, so open regressions are looked at again on later cycles.
  // The change point, once there is one, places the versions; until then
  // they are the ones the first sighting's check named.
  for (auto& open : r.state.open)
    if (open.began.empty()) {
      auto origin = regressionOrigin(engine, open.scenario, open.metric);
      if (origin.began.empty()) continue;
      open.began = std::move(origin.began);
      open.versionBefore = std::move(origin.versionBefore);
      open.versionAfter = std::move(origin.versionAfter);
    }
  for (auto& ev : r.events)
    for (const auto& open : r.state.open)
      if (ev.kind == AlertEvent::Kind::Detected && open.scenario == ev.entry.scenario && open.metric == ev.entry.metric) {
        ev.entry.began = open.began;
        ev.entry.versionBefore = open.versionBefore;
        ev.entry.versionAfter = open.versionAfter;
      }
  store.save(r.state);
  co_return r;
}

void to_json(json& j, const CycleResult& r) {
  j = r.check;
  if (r.rerun) j["confirmation_rerun"] = *r.rerun;
}

}  // namespace giflab
