#include "common/detect/machine.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/measure/runner.hpp"
#include "common/detect/stats.hpp"

namespace giflab {

namespace {

std::vector<double> dividedBy(const std::vector<double>& x, double f) {
  std::vector<double> out(x);
  for (double& v : out) v /= f;
  return out;
}

}  // namespace

MachineFactor machineFactor(const std::vector<double>& controlNow, const std::vector<double>& controlThen,
                            double confidence) {
  MachineFactor m;
  if (controlNow.size() < 3 || controlThen.size() < 3) return m;
  m.measured = true;
  m.current = stats::median(controlNow);
  m.baseline = stats::median(controlThen);
  if (!(m.baseline > 0) || !(m.current > 0)) return m;
  const stats::PairwiseShifts shifts(stats::logs(controlNow), stats::logs(controlThen));
  m.factor = std::exp(shifts.estimate());
  // At the check's confidence: the correction claims no more certainty
  // about the machine than the control gives.
  const auto ci = shifts.interval(confidence);
  m.low = std::exp(ci.low);
  m.high = std::exp(ci.high);
  m.pValue = stats::mannWhitneyU(controlNow, controlThen, stats::Alternative::TwoSided).pValue;
  m.moved = m.pValue <= 1 - confidence && std::fabs(m.factor - 1) >= kMinMachineShift;
  m.spreadNow = stats::mad(controlNow) / m.current;
  m.spreadThen = stats::mad(controlThen) / m.baseline;
  m.unsteady = m.spreadNow > kMinUnsteadySpread && m.spreadNow > kUnsteadySpreadRatio * m.spreadThen;
  return m;
}

MetricComparison compareRelativeToMachine(const std::vector<double>& current, const std::vector<double>& baseline,
                                          const std::vector<double>& controlNow, const std::vector<double>& controlThen,
                                          const MachineFactor& machine, const DetectionPolicy& policy,
                                          double residual) {
  const size_t pairsNow = std::min(current.size(), controlNow.size());
  const size_t pairsThen = std::min(baseline.size(), controlThen.size());
  MetricComparison c;
  if (pairsNow >= 3 && pairsThen >= 3 && machine.baseline > 0) {
    auto normalised = [&](const std::vector<double>& runs, const std::vector<double>& control, size_t n) {
      std::vector<double> out(n);
      for (size_t i = 0; i < n; ++i) out[i] = runs[i] / std::max(control[i], 1e-12) * machine.baseline;
      return out;
    };
    c = compareMetric(kProcessingTime, dividedBy(normalised(current, controlNow, pairsNow), residual),
                      normalised(baseline, controlThen, pairsThen), policy);
  } else {
    c = compareMetric(kProcessingTime, dividedBy(current, machine.factor * residual), baseline, policy);
    // Significance after the largest slow-down (or the smallest speed-up)
    // the control allows: the upper end of its interval.
    const auto conservative = dividedBy(current, std::max(machine.high, machine.factor) * residual);
    c.pValue = stats::mannWhitneyU(conservative, baseline, stats::Alternative::Greater).pValue;
    c.pAdjusted = c.pValue;
  }
  c.machineFactor = machine.factor * residual;
  c.rawCurrent = stats::median(current);
  const double rawBaseline = stats::median(baseline);
  c.rawRelativeChange = rawBaseline > 0 ? (c.rawCurrent - rawBaseline) / rawBaseline : 0;
  return c;
}

double commonResidualFactor(const std::vector<double>& ratios, bool controlMoved, double threshold) {
  if (!controlMoved || ratios.size() < kMinScenariosForCommonShift) return 1;
  const double common = stats::median(ratios);
  if (!(common >= 1 + kMinMachineShift)) return 1;
  const auto together = std::count_if(ratios.begin(), ratios.end(),
                                      [&](double r) { return std::fabs(r / common - 1) <= threshold; });
  return 2 * static_cast<size_t>(together) > ratios.size() ? common : 1;
}

Verdict machineVerdict(Verdict raw, Verdict corrected) {
  if (corrected == Verdict::Regressed || corrected == Verdict::Inconclusive) return corrected;  // more samples decide
  if (raw == Verdict::Regressed || raw == Verdict::Inconclusive) return Verdict::Environment;
  return corrected;
}

double judgeAgainstMachine(std::vector<TimedScenario>& scenarios, const std::vector<double>& controlNow,
                           const DetectionPolicy& policy) {
  std::vector<TimedScenario*> judged;
  for (auto& s : scenarios)
    if (s.machine.measured && s.computes) judged.push_back(&s);
  auto corrected = [&](double residual) {
    std::vector<MetricComparison> out;
    for (const auto* s : judged)
      out.push_back(compareRelativeToMachine(*s->current, *s->baseline, controlNow, *s->controlThen, s->machine,
                                             policy, residual));
    std::vector<MetricComparison*> family;
    for (auto& c : out) family.push_back(&c);
    decide(family, policy);
    return out;
  };
  auto times = corrected(1);
  std::vector<double> ratios;
  for (const auto& c : times)
    if (c.baseline > 0) ratios.push_back(c.current / c.baseline);
  const auto moved = std::count_if(judged.begin(), judged.end(), [](const auto* s) { return s->machine.moved; });
  const double residual = commonResidualFactor(ratios, 2 * static_cast<size_t>(moved) > judged.size(), policy.threshold);
  if (residual != 1) times = corrected(residual);
  for (size_t k = 0; k < judged.size(); ++k) {
    MetricComparison& time = *judged[k]->time;
    const Verdict raw = time.verdict;
    time = times[k];
    time.verdict = machineVerdict(raw, times[k].verdict);
    if (time.verdict != Verdict::Regressed) time.severity = Severity::None;
  }
  return residual;
}

Scenario builtinControl() {
  Scenario s;
  // Not a name a config may give (a space and brackets), so that a scenario
  // of its own called "control" is never taken for the built-in one.
  s.name = "giflab-perf-control (built-in)";
  s.description = "built-in control workload (giflab-perf-control)";
  s.command = {(findExecHelper().parent_path() / "giflab-perf-control").string()};
  s.expected_files = 0;  // no inputs
  s.iterations = 5;
  s.warmup = 1;
  s.timeout = 60;
  s.monitored = false;
  return s;
}

Scenario controlScenario(const Config& config) {
  if (!config.performance.control_scenario.empty())
    if (const Scenario* s = config.findScenario(config.performance.control_scenario)) return *s;
  return builtinControl();
}

std::string controlIdentity(const Config& config) {
  if (!config.performance.control_scenario.empty() && config.findScenario(config.performance.control_scenario))
    return "scenario " + config.performance.control_scenario;
  return "giflab-perf-control " + std::to_string(kBuiltinControlRevision);
}

bool sameControl(const std::string& recorded, const std::string& current) {
  if (recorded.empty()) return current == "giflab-perf-control 1" || current.rfind("scenario ", 0) == 0;
  return recorded == current;
}

std::string describeMachine(double factor, double controlCurrent, double controlBaseline) {
  char control[96] = "";
  if (controlBaseline > 0 && controlCurrent > 0)
    std::snprintf(control, sizeof control, ": control %.3f s -> %.3f s", controlBaseline, controlCurrent);
  char text[256];
  if (factor == 1.0)
    std::snprintf(text, sizeof text, "this machine runs as fast as when the baselines were taken again%s", control);
  else
    std::snprintf(text, sizeof text, "this machine runs %.0f %% %s than when the baselines were taken%s",
                  std::fabs(factor - 1) * 100, factor > 1 ? "slower" : "faster", control);
  return text;
}

void to_json(nlohmann::json& j, const MachineFactor& m) {
  j = {{"factor", m.factor},
       {"factor_ci", {m.low, m.high}},
       {"moved", m.moved},
       {"unsteady", m.unsteady},
       {"control_spread", {{"current", m.spreadNow}, {"baseline", m.spreadThen}}},
       {"p_value", m.pValue},
       {"control", {{"current", m.current}, {"baseline", m.baseline}, {"unit", "s"}}}};
}

}  // namespace giflab
