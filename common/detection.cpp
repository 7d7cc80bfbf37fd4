#include "common/detection.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "common/stats.hpp"

namespace giflab {

const char* unitOf(const std::string& metric) { return metric == kMemoryUsage ? "MB" : "s"; }

const char* verdictName(Verdict v) {
  switch (v) {
    case Verdict::Regressed: return "regressed";
    case Verdict::Inconclusive: return "inconclusive";
    case Verdict::NotRegressed: break;
  }
  return "passed";
}

std::string severityFor(double regression) {
  if (regression >= 0.50) return "critical";
  if (regression >= 0.25) return "warning";
  return "info";
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
    const auto hl = stats::hodgesLehmann(current, baseline, policy.confidence);
    c.shiftLow = hl.ci.low / c.baseline;
    c.shiftHigh = hl.ci.high / c.baseline;
    c.shift = hl.shift / c.baseline;
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
    c.severity.clear();
    // Size: the change must be of threshold size as far as the data can
    // tell: the interval of the shift reaches the threshold, and the shift
    // itself is at least 70 % of it. (Requiring the estimate itself to pass
    // would miss half of all changes exactly at the threshold.) The
    // Hodges-Lehmann shift uses every pair of samples: a difference of
    // medians of 5 runs misses more threshold-size steps and alarms more.
    const bool bigEnough = c.shiftHigh >= policy.threshold && c.shift >= policy.threshold * 0.7;
    const bool aboveThreshold = bigEnough &&
                                !(c.metric == kMemoryUsage && c.current - c.baseline < policy.minMemoryDeltaMb);
    if (!aboveThreshold) c.verdict = Verdict::NotRegressed;
    else if (c.pAdjusted <= alpha) c.verdict = Verdict::Regressed;
    else c.verdict = Verdict::Inconclusive;
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
       {"samples", {{"current", c.currentCount}, {"baseline", c.baselineCount}}},
       {"verdict", verdictName(c.verdict)}};
  if (!c.severity.empty()) j["severity"] = c.severity;
}

}  // namespace giflab
