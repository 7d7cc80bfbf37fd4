#include "common/detect/detection.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "common/detect/stats.hpp"

namespace giflab {

namespace {
constexpr double kShiftFractionOfThreshold = 0.7;
}  // namespace

const char* unitOf(const std::string& metric) { return metric == kMemoryUsage ? "MB" : "s"; }

double sizeConfidence(double confidence) { return 1.0 - (1.0 - confidence) / 5.0; }

Severity severityFor(double regression) {
  if (regression >= 0.50) return Severity::Critical;
  if (regression >= 0.25) return Severity::Warning;
  return Severity::Info;
}

MetricComparison compareMetric(const std::string& metric, const std::vector<double>& current,
                               const std::vector<double>& baseline, const DetectionPolicy& policy) {
  MetricComparison c;
  c.metric = metric;
  c.currentCount = current.size();
  c.baselineCount = baseline.size();
  if (current.empty() || baseline.empty()) return c;
  c.current = stats::median(current);
  c.baseline = stats::median(baseline);
  if (c.baseline > 0) {
    c.relativeChange = (c.current - c.baseline) / c.baseline;
    c.regression = std::max(0.0, c.relativeChange);
    const stats::PairwiseShifts shifts(current, baseline);
    const auto ci = shifts.interval(policy.confidence);
    c.shiftLow = ci.low / c.baseline;
    c.shiftHigh = ci.high / c.baseline;
    c.shift = shifts.estimate() / c.baseline;
    c.sizeUpper = shifts.interval(sizeConfidence(policy.confidence)).high / c.baseline;
  }
  c.pValue = stats::mannWhitneyU(current, baseline, stats::Alternative::Greater).pValue;
  c.pAdjusted = c.pValue;
  return c;
}

void decide(std::vector<MetricComparison*>& comparisons, const DetectionPolicy& policy) {
  std::vector<double> p;
  for (const auto* c : comparisons) p.push_back(c->pValue);
  const auto adjusted = stats::benjaminiHochbergAdjusted(p);
  const double alpha = 1.0 - policy.confidence;
  for (size_t i = 0; i < comparisons.size(); ++i) {
    MetricComparison& c = *comparisons[i];
    c.pAdjusted = adjusted[i];
    c.severity = Severity::None;
    // Size: the change must be of threshold size as far as the data can
    // tell. It is ruled out only when even a wide interval of the shift stays
    // below the threshold (sizeUpper): dismissing a real threshold-size change
    // costs more than measuring once more. The shift itself must be at least
    // 70 % of the threshold (requiring the estimate itself to pass would miss
    // half of all changes exactly at the threshold). The Hodges-Lehmann shift
    // uses every pair of samples: a difference of medians of 5 runs misses more
    // threshold-size steps and alarms more.
    const bool reachable = c.sizeUpper >= policy.threshold &&
                           !(c.metric == kMemoryUsage && c.current - c.baseline < policy.minMemoryDeltaMb);
    const bool bigEnough = reachable && c.shift >= policy.threshold * kShiftFractionOfThreshold;
    const bool significant = c.pAdjusted <= alpha;
    if (bigEnough && significant) c.verdict = Verdict::Regressed;
    // Big enough but not yet significant, or significant and of a size the
    // samples cannot settle: more samples decide.
    else if (reachable && (bigEnough || significant)) c.verdict = Verdict::Inconclusive;
    else c.verdict = Verdict::NotRegressed;
    if (c.verdict == Verdict::Regressed) c.severity = severityFor(std::max(0.0, c.shiftLow));
  }
}

void to_json(nlohmann::json& j, const MetricComparison& c) {
  j = {{"metric", c.metric},
       {"regression", c.regression},
       {"relative_change", c.relativeChange},
       {"current", c.current},
       {"baseline", c.baseline},
       {"unit", unitOf(c.metric)},
       {"p_value", c.pAdjusted},
       {"p_value_raw", c.pValue},
       {"shift_ci", {c.shiftLow, c.shiftHigh}},
       {"size_upper", c.sizeUpper},
       {"samples", {{"current", c.currentCount}, {"baseline", c.baselineCount}}},
       {"verdict", kVerdictNames.name(c.verdict)}};
  if (c.severity != Severity::None) j["severity"] = kSeverityNames.name(c.severity);
  if (c.cpuPressure >= 0)
    j["run_queue"] = {{"cpu_pressure", c.cpuPressure},
                      {"cpu_time_change", c.cpuRelativeChange},
                      {"waited_for_cpu", c.waitedForCpu}};
  if (c.machineFactor > 0) {
    j["machine_factor"] = c.machineFactor;
    j["measured"] = c.rawCurrent;
    j["measured_relative_change"] = c.rawRelativeChange;
  }
}

}  // namespace giflab
