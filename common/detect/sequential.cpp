#include "common/detect/sequential.hpp"

#include <algorithm>
#include <cmath>

#include "common/detect/stats.hpp"

namespace giflab {

namespace {
constexpr double kSpendingPower = 3;  // rho of alpha * t^rho
constexpr size_t kFewestBaselineRuns = 3;  // kMinBaselineSamples
}  // namespace

double lookAlpha(size_t runs, const LookPlan& plan, double alpha) {
  if (plan.maxRuns == 0 || runs >= plan.maxRuns) return alpha;
  const double t = static_cast<double>(runs) / static_cast<double>(plan.maxRuns);
  return alpha * std::pow(t, kSpendingPower);
}

bool settleAtLook(MetricComparison& c, size_t runs, const LookPlan& plan, const DetectionPolicy& policy) {
  if (runs >= plan.maxRuns) return true;  // the last look: the fixed design's rule decides
  const double alpha = lookAlpha(runs, plan, 1 - policy.confidence);
  switch (c.verdict) {
    case Verdict::Regressed:
      if (c.pAdjusted <= alpha) return true;
      c.verdict = Verdict::Inconclusive;
      c.severity = Severity::None;
      return false;
    case Verdict::Inconclusive:
      if (plan.futility && c.pValue > kFutilityP) {  // not regressed, and unlikely ever to be shown
        c.verdict = Verdict::NotRegressed;
        return true;
      }
      return false;
    case Verdict::NotRegressed:
    case Verdict::Environment: return true;
  }
  return false;
}

size_t baselineRunsForFirstLook(const LookPlan& checks, double alpha, size_t family) {
  const double level = lookAlpha(checks.minRuns, checks, alpha);
  const double m = static_cast<double>(checks.minRuns);
  for (size_t n = kFewestBaselineRuns; n < 1000; ++n) {
    const double orderings = std::exp(std::lgamma(static_cast<double>(n) + m + 1) - std::lgamma(static_cast<double>(n) + 1) - std::lgamma(m + 1));
    if (static_cast<double>(family) / orderings <= level) return n;
  }
  return 1000;
}

bool baselinePrecise(const std::vector<double>& samples, const std::string& metric, const DetectionPolicy& policy) {
  // Too few runs for the median's interval to reach the confidence at all
  // (the range covers 1 - 2 / 2^n: 5 runs, 0.9375): not yet known.
  if (samples.size() < kFewestBaselineRuns ||
      1 - 2 * std::pow(0.5, static_cast<double>(samples.size())) < policy.confidence)
    return false;
  const double centre = stats::median(samples);
  const auto ci = stats::medianInterval(samples, policy.confidence);
  const double halfWidth = std::max(centre - ci.low, ci.high - centre);
  double allowed = kBaselineErrorShareOfThreshold * policy.threshold * std::fabs(centre);
  if (metric == kMemoryUsage) allowed = std::max(allowed, kBaselineErrorShareOfThreshold * policy.minMemoryDeltaMb);
  return halfWidth <= allowed;
}

SpeedupLook speedupAtLook(const std::vector<double>& reference, const std::vector<double>& candidate, double minimum,
                          const LookPlan& plan, double confidence) {
  const size_t runs = std::min(reference.size(), candidate.size());
  if (runs < 2 || !(minimum > 0) || runs >= plan.maxRuns) return SpeedupLook::Undecided;
  // With few runs a side the level may be out of reach: the widest interval
  // (the smallest to the largest difference) holds with only
  // 1 - 2 / C(n1 + n2, n1), 0.90 for 3 against 3. No early verdict then.
  const double level = 1 - lookAlpha(runs, plan, 1 - confidence);
  const double orderings = std::exp(std::lgamma(reference.size() + candidate.size() + 1.0) -
                                    std::lgamma(reference.size() + 1.0) - std::lgamma(candidate.size() + 1.0));
  if (1 - 2 / orderings < level) return SpeedupLook::Undecided;
  const stats::PairwiseShifts logRatio(stats::logs(reference), stats::logs(candidate));
  const auto ci = logRatio.interval(level);
  if (ci.low > std::log(minimum)) return SpeedupLook::Above;
  if (ci.high < std::log(minimum)) return SpeedupLook::Below;
  return SpeedupLook::Undecided;
}

}  // namespace giflab
