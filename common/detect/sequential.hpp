#pragma once
// A check that measures in rounds and stops once its verdict is settled.
//
// Fixed counts waste runs on clear cases: an unchanged quiet workload or a
// 50 % slow-down is clear after 3 runs, a borderline one is not after 5. So
// a check looks at its samples after min_iterations runs and after every run
// from there to iterations (the maximum), and a scenario stops measuring at
// the first look where both its metrics are settled:
//   - passed (or environment): the fixed design's own rule says so. Stopping
//     early only on "passed" can only lower false alarms; it costs detection
//     where a real change looks small in 3 runs, which the evaluation counts.
//   - regressed: significant at the look's own level, an alpha-spending
//     level that grows with the share of the runs taken, alpha * t^3 (the
//     Kim-DeMets power family with rho = 3, close to O'Brien-Fleming): the
//     first look of 3 in 5 runs at 0.0108 for alpha 0.05, the fourth run at
//     0.0256, the last at the check's own alpha.
//   - inconclusive: more runs decide, unless the evidence is so weak that
//     they are unlikely to: at a look before the last, an inconclusive
//     metric (big enough but not significant) whose own p-value (before the
//     false-discovery correction, which grows with the number of scenarios)
//     is above kFutilityP stops as passed, a non-binding futility bound (it
//     can only lower false alarms). Measured (docs/detection-evaluation.md): runs per
//     check of unchanged code 3.19 -> 3.15 of the fixed design's 5.26, false
//     alarms 0.17 per 100 checks as before, 10 % steps at CV <= 3 % found
//     within 2 cycles as before (0.997); the price is on noisy scenarios:
//     10 % steps at CV 10 % 0.458 -> 0.432, 20 % steps there 0.954 -> 0.950.
// Inconclusive at the maximum, the check measures on, one round at a time,
// up to as many runs again, with the same looks over those (the fixed design
// measured them all at once). The false-alarm rate this keeps is measured,
// not assumed (docs/detection-evaluation.md, fixed against sequential): the
// looks share their samples, so they are strongly correlated and the early
// ones spend little.
#include <cstddef>
#include <string>
#include <vector>

#include "common/detect/detection.hpp"

namespace giflab {

inline constexpr double kFutilityP = 0.2;

struct LookPlan {
  size_t minRuns = 3;  // the first look
  size_t maxRuns = 5;  // the last look: a check's iterations
  // Whether weak evidence may stop a look as passed (kFutilityP). A check's
  // looks may (it can only lower its false alarms); a bisect step's may
  // not: there "passed" is a verdict on a commit, and calling a bad one
  // good would name the wrong culprit.
  bool futility = true;
};

// The significance level a look after `runs` of at most plan.maxRuns may use.
double lookAlpha(size_t runs, const LookPlan& plan, double alpha);

// A comparison decided (decide()) at a look after `runs` runs: a regression
// not significant at the look's level becomes inconclusive (more runs
// decide), and the result says whether this metric may stop measuring here.
bool settleAtLook(MetricComparison& c, size_t runs, const LookPlan& plan, const DetectionPolicy& policy);

// A speed-up validation (reference time / candidate time against a minimum
// speed-up) looked at the same way: settled above or below the minimum once
// the Hodges-Lehmann interval of the log ratio, at the look's level, lies
// wholly on one side of it; undecided otherwise, and while so few runs make
// that level unreachable (with 5 runs at most, a look before the last needs
// 5 a side: validations of the default 5 iterations take them all). At the
// last look the caller applies its own rule (the ratio of medians).
enum class SpeedupLook { Above, Below, Undecided };
SpeedupLook speedupAtLook(const std::vector<double>& reference, const std::vector<double>& candidate, double minimum,
                          const LookPlan& plan, double confidence);

// Baselines stop early too, but not below what checks need: a check's first
// look compares its minRuns runs with the baseline's by rank, and with n
// baseline runs its smallest p-value is 1 / C(n + minRuns, minRuns), which
// Benjamini-Hochberg multiplies by the check's number of tests (two metrics
// a scenario: `family`) when one of them alone moved. The fewest baseline
// runs with which that reaches the first look's level: 9 for one scenario
// and the defaults (3 of 5 runs, 0.0108), 12 for two, 13 for three; above
// the default count (10) a baseline takes it whole.
size_t baselineRunsForFirstLook(const LookPlan& checks, double alpha, size_t family = 2);

// Whether a metric's baseline samples pin its median down as closely as the
// threshold needs: the median's distribution-free interval at the check's
// confidence within a quarter of the threshold of the median on each side
// (memory: or within a quarter of minMemoryDeltaMb, changes below which
// never alert), so that the baseline's own error stays well under the
// change it is there to show.
bool baselinePrecise(const std::vector<double>& samples, const std::string& metric, const DetectionPolicy& policy);
inline constexpr double kBaselineErrorShareOfThreshold = 0.25;

// Why a check stopped measuring, for its report: "settled" (every metric
// clear before the maximum), "maximum" (iterations reached), "remeasured"
// (inconclusive at the maximum, measured as many times again).
inline constexpr const char* kStopSettled = "settled";
inline constexpr const char* kStopMaximum = "maximum";
inline constexpr const char* kStopRemeasured = "remeasured";

}  // namespace giflab
