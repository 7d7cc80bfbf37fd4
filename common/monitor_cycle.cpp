#include "common/monitor_cycle.hpp"

#include <algorithm>

#include "common/baseline.hpp"
#include "common/detection.hpp"
#include "common/error.hpp"
#include "common/timeutil.hpp"

namespace giflab {
using nlohmann::json;

namespace {
constexpr double kOpenAtOnceLowerBound = 0.50;

auto findEntry(std::vector<AlertEntry>& v, const std::string& scenario, const std::string& metric) {
  return std::find_if(v.begin(), v.end(),
                      [&](const AlertEntry& a) { return a.scenario == scenario && a.metric == metric; });
}
}  // namespace

std::vector<AlertEvent> applyCheck(const json& check, AlertState& state) {
  std::vector<AlertEvent> events;
  const std::string now = check.value("timestamp", nowIso8601());
  for (const auto& s : check.value("scenarios_tested", json::array())) {
    if (s.value("status", "") == "error") continue;  // a failed run says nothing about regressions
    const std::string scenario = s.at("scenario");
    for (const auto& m : s.value("metrics", json::array())) {
      const std::string metric = m.at("metric");
      const bool regressed = m.value("verdict", "") == "regressed";
      const bool inconclusive = m.value("verdict", "") == "inconclusive";
      auto open = findEntry(state.open, scenario, metric);
      auto pending = findEntry(state.pending, scenario, metric);
      AlertEntry entry{scenario, metric, m.value("severity", "info"), m.value("regression", 0.0),
                       m.value("current", 0.0), m.value("baseline", 0.0), now};
      if (regressed) {
        if (open != state.open.end()) {
          entry.since = open->since;
          *open = entry;  // still open: no new alert
          continue;
        }
        const double lower = m.contains("shift_ci") ? m["shift_ci"][0].get<double>() : 0.0;
        if (pending != state.pending.end() || lower >= kOpenAtOnceLowerBound) {
          if (pending != state.pending.end()) {
            entry.since = pending->since;
            state.pending.erase(pending);
          }
          state.open.push_back(entry);
          events.push_back({AlertEvent::Kind::Detected, entry, now});
        } else {
          state.pending.push_back(entry);
        }
      } else if (!inconclusive) {
        if (open != state.open.end()) {
          events.push_back({AlertEvent::Kind::Resolved, *open, now});
          state.open.erase(open);
        }
        if (auto p = findEntry(state.pending, scenario, metric); p != state.pending.end()) state.pending.erase(p);
      }
      // Inconclusive leaves everything as it was until a cycle decides.
    }
  }
  return events;
}

CycleResult runMonitorCycle(Engine& engine, const std::atomic<bool>* cancel, const ProgressFn& progress) {
  CycleResult r;
  AlertStore store(engine.stateDir());
  r.state = store.load();
  if (BaselineStore(engine.stateDir()).load().empty()) {
    // Without baselines there is nothing to compare with, but the history
    // still grows, so that a baseline can later be judged against it.
    r.check = engine.measureAndRecord({}, "monitor", cancel, progress);
    r.check["overall_result"] = "no_baselines";
    r.check["message"] = "No performance baselines available; create them with 'giflab-perfctl baseline create'";
    return r;
  }
  CheckOptions o;
  o.action = "monitor";
  r.check = engine.runCheck(o, cancel, progress);
  r.events = applyCheck(r.check, r.state);
  store.save(r.state);
  return r;
}

}  // namespace giflab
