#include "common/cycle/check_report.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace giflab {
using nlohmann::json;

ScenarioReport ScenarioReport::failed(std::string scenario, std::string error) {
  ScenarioReport r;
  r.scenario = std::move(scenario);
  r.error = std::move(error);
  return r;
}

ScenarioStatus ScenarioReport::status() const {
  if (error) return ScenarioStatus::Error;
  if (!time && !memory) return ScenarioStatus::Measured;
  const auto m = metrics();
  return std::any_of(m.begin(), m.end(), [](const MetricComparison* c) { return c->verdict == Verdict::Regressed; })
             ? ScenarioStatus::Regressed
             : ScenarioStatus::Passed;
}

std::vector<const MetricComparison*> ScenarioReport::metrics() const {
  std::vector<const MetricComparison*> out;
  if (time) out.push_back(&*time);
  if (memory) out.push_back(&*memory);
  return out;
}

CheckResult CheckReport::result() const {
  auto any = [&](ScenarioStatus s) {
    return std::any_of(scenarios.begin(), scenarios.end(), [&](const ScenarioReport& r) { return r.status() == s; });
  };
  if (noBaselines) return CheckResult::NoBaselines;
  if (any(ScenarioStatus::Error)) return CheckResult::Error;
  if (threshold == 0) return CheckResult::Measured;
  if (any(ScenarioStatus::Regressed)) return CheckResult::Regressed;
  return anyBudgetExceeded() ? CheckResult::BudgetExceeded : CheckResult::Passed;
}

bool CheckReport::anyBudgetExceeded() const {
  return std::any_of(scenarios.begin(), scenarios.end(), [](const ScenarioReport& r) {
    return std::any_of(r.budgets.begin(), r.budgets.end(), [](const BudgetCheck& b) { return b.exceeded; });
  });
}

void to_json(json& j, const ScenarioReport& s) {
  j = {{"scenario", s.scenario}, {"status", kScenarioStatusNames.name(s.status())}, {"regressions", json::array()}};
  if (s.error) {
    j["error"] = *s.error;
    return;
  }
  j["processing_time"] = s.processingTime;
  j["memory_usage"] = s.memoryUsage;
  j["iterations"] = s.iterations;
  j["runs"] = s.iterations;
  if (!s.stopped.empty()) j["stopped"] = s.stopped;
  if (!s.version.empty()) j["version"] = s.version;
  if (!s.budgets.empty()) j["budgets"] = s.budgets;
  if (s.status() == ScenarioStatus::Measured) return;
  json metrics = json::array();
  for (const auto* c : s.metrics()) {
    metrics.push_back(*c);
    if (c->verdict == Verdict::Regressed) j["regressions"].push_back(*c);
  }
  j["metrics"] = metrics;
  if (!s.fingerprintChanges.empty()) j["environment_changed"] = s.fingerprintChanges;
  if (s.machine) j["machine"] = *s.machine;
}

void to_json(json& j, const CheckReport& c) {
  j = {{"action", c.action},
       {"scenarios_tested", c.scenarios},
       {"overall_result", kCheckResultNames.name(c.result())},
       {"timestamp", c.timestamp}};
  if (!c.message.empty()) j["message"] = c.message;
  if (!c.warnings.empty()) j["warnings"] = c.warnings;
  // Apart from the regressions: a budget is an absolute limit, not a change.
  json exceeded = json::array();
  bool anyBudget = false;
  for (const auto& s : c.scenarios)
    for (const auto& b : s.budgets) {
      anyBudget = true;
      if (b.exceeded)
        exceeded.push_back({{"scenario", s.scenario}, {"metric", b.metric}, {"value", b.median}, {"budget", b.budget},
                            {"text", describeHeadroom(b.metric, b.median, b.budget)}});
    }
  if (anyBudget) j["budgets_exceeded"] = exceeded;
  if (c.threshold == 0) return;  // measured only
  j["threshold"] = c.threshold;
  j["confidence_level"] = c.confidence;
  j["fail_ci_on_regression"] = c.failCiOnRegression;
  if (c.machine) {
    j["machine"] = *c.machine;
    // The scenarios slowed together beyond the control: the machine's load
    // weighs on them more than on the control (see commonResidualFactor).
    if (c.scenariosFactor != 1) j["machine"]["scenarios_factor"] = c.scenariosFactor;
  }
  if (c.cpuPressure) j["cpu_pressure"] = *c.cpuPressure;
  if (c.controlError) j["control_error"] = *c.controlError;
}

}  // namespace giflab
