#include "common/cycle/pace.hpp"

#include <algorithm>

#include "common/base/timeutil.hpp"

namespace giflab {

std::string unsettled(const CycleResult& cycle, long minSeconds) {
  const auto& state = cycle.state;
  if (!state.pending.empty())
    return "pending confirmation of " + state.pending.front().scenario + "/" + state.pending.front().metric;
  // A machine shift seen once is not a reason: on a shared machine the
  // control flickers, and the pace would never settle (seen in the tests).
  for (const auto& s : cycle.check.scenarios) {
    for (const auto* m : s.metrics())
      if (m->verdict == Verdict::Inconclusive) return s.scenario + "/" + m->metric + " inconclusive";
    for (const auto& b : s.budgets)
      if (b.pending()) return "budget of " + s.scenario + "/" + b.metric + " pending";
  }
  // A change point forming: the regression is open, its start not yet placed.
  const auto now = std::chrono::system_clock::now();
  for (const auto& open : state.open) {
    const auto since = parseIso8601(open.since);
    if (open.began.empty() && since && now - *since < std::chrono::seconds(5 * minSeconds))
      return "locating the start of " + open.scenario + "/" + open.metric;
  }
  return "";
}

MonitorPace::MonitorPace(const PerformanceSettings& settings) : settings_(settings) {
  if (settings_.adaptive_min > 0) current_ = {settings_.adaptive_min, "starting: the interval doubles while all is settled"};
  else current_ = {settings_.monitoring_interval, "fixed interval"};
}

Pace MonitorPace::next(const CycleResult& cycle) {
  if (settings_.adaptive_min <= 0) return current_ = {settings_.monitoring_interval, "fixed interval"};
  if (const std::string why = unsettled(cycle, settings_.adaptive_min); !why.empty())
    return current_ = {settings_.unsettledInterval(), why};
  const long doubled = std::clamp(current_.seconds * 2, settings_.adaptive_min, settings_.adaptive_max);
  return current_ = {doubled, doubled == settings_.adaptive_max ? "settled" : "settled: the interval doubles"};
}

}  // namespace giflab
