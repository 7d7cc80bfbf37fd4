// The check-time rule, with seeded simulations whose false-alarm and
// detection rates are asserted.
#include <gtest/gtest.h>

#include <random>

#include <nlohmann/json.hpp>

#include "common/detect/detection.hpp"
#include "common/detect/level_step.hpp"
#include "common/detect/sequential.hpp"

using namespace giflab;

namespace {

std::vector<double> lognormal(std::mt19937_64& rng, size_t n, double median, double cv) {
  const double sigma = std::sqrt(std::log(1 + cv * cv));
  std::lognormal_distribution<double> d(std::log(median), sigma);
  std::vector<double> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

Verdict verdictOf(const std::vector<double>& cur, const std::vector<double>& base, const DetectionPolicy& p,
                  const std::string& metric = kProcessingTime) {
  auto c = compareMetric(metric, cur, base, p);
  std::vector<MetricComparison*> all{&c};
  decide(all, p);
  return c.verdict;
}

}  // namespace

TEST(Detection, SeverityBands) {
  EXPECT_EQ(severityFor(0.11), Severity::Info);
  EXPECT_EQ(severityFor(0.249), Severity::Info);
  EXPECT_EQ(severityFor(0.25), Severity::Warning);
  EXPECT_EQ(severityFor(0.49), Severity::Warning);
  EXPECT_EQ(severityFor(0.50), Severity::Critical);
  // One table, both ways.
  for (const auto& [severity, name] : kSeverityNames.table) EXPECT_EQ(kSeverityNames.parse(name), severity);
  EXPECT_EQ(kSeverityNames.parse("fatal"), std::nullopt);
  EXPECT_EQ(kVerdictNames.name(Verdict::NotRegressed), "passed");
}

TEST(Detection, ThirtyPercentSlowerIsARegression) {
  const DetectionPolicy p{0.15, 0.95};
  auto c = compareMetric(kProcessingTime, {0.130, 0.131, 0.129, 0.132, 0.1305}, {0.100, 0.101, 0.099, 0.1005, 0.102}, p);
  std::vector<MetricComparison*> all{&c};
  decide(all, p);
  EXPECT_EQ(c.verdict, Verdict::Regressed);
  EXPECT_NEAR(c.regression, 0.30, 0.01);
  EXPECT_NEAR(c.pValue, 1.0 / 252, 1e-12);  // exact: every current sample above every baseline sample
  // R 4.2, wilcox.test(cur, base, conf.int = TRUE, exact = TRUE): the 95 %
  // interval is [0.028, 0.032] and the 99 % one [0.027, 0.033]. Over the
  // baseline median 0.1005: a lower end of 27.9 %.
  EXPECT_NEAR(c.shiftLow, 0.028 / 0.1005, 1e-9);
  EXPECT_EQ(c.severity, Severity::Warning);
  // The size rule's wider (99 %) interval ends at 0.033.
  EXPECT_NEAR(c.sizeUpper, 0.033 / 0.1005, 1e-9);
  const nlohmann::json j = c;
  EXPECT_DOUBLE_EQ(j["size_upper"].get<double>(), c.sizeUpper);
}

TEST(Detection, SeverityFollowsTheLowerBoundNotThePointEstimate) {
  const DetectionPolicy p{0.10, 0.95};
  // Point estimate about +60 %, but the samples spread so widely that the
  // lower bound is far lower: warning or info, not critical.
  auto c = compareMetric(kProcessingTime, {1.2, 1.6, 1.61, 1.62, 2.4, 1.3, 2.0}, {1.0, 0.98, 1.02, 1.01, 0.99, 1.0, 1.03}, p);
  std::vector<MetricComparison*> all{&c};
  decide(all, p);
  ASSERT_EQ(c.verdict, Verdict::Regressed);
  EXPECT_GT(c.regression, 0.5);
  EXPECT_LT(c.shiftLow, 0.5);
  EXPECT_NE(c.severity, Severity::Critical);
}

TEST(Detection, SmallChangesAndImprovementsAreNotRegressions) {
  const DetectionPolicy p{0.10, 0.95};
  // +5 %: significant but below the threshold.
  EXPECT_EQ(verdictOf({1.05, 1.051, 1.049, 1.05, 1.052}, {1.0, 1.001, 0.999, 1.0, 1.002}, p), Verdict::NotRegressed);
  // Faster: never a regression.
  EXPECT_EQ(verdictOf({0.5, 0.51, 0.49, 0.5, 0.5}, {1.0, 1.001, 0.999, 1.0, 1.002}, p), Verdict::NotRegressed);
}

TEST(Detection, AboveThresholdButWithinNoiseIsInconclusive) {
  const DetectionPolicy p{0.10, 0.95};
  // Median +20 %, but the baseline itself spreads over ±40 %.
  EXPECT_EQ(verdictOf({1.2, 0.7, 1.5, 1.25, 0.9}, {1.0, 0.6, 1.4, 1.3, 0.8}, p), Verdict::Inconclusive);
}

TEST(Detection, MemoryNeverAlertsOnAFewKilobytes) {
  const DetectionPolicy p{0.10, 0.95};
  // 2.0 MB -> 2.3 MB is +15 %, significant, but only 300 KB.
  EXPECT_EQ(verdictOf({2.3, 2.3, 2.3, 2.3, 2.3}, {2.0, 2.0, 2.0, 2.0, 2.0}, p, kMemoryUsage), Verdict::NotRegressed);
  EXPECT_EQ(verdictOf({40, 40.1, 40, 40.2, 40}, {20, 20, 20.1, 20, 20}, p, kMemoryUsage), Verdict::Regressed);
}

TEST(Detection, FalseDiscoveryRateAcrossAllTestsOfACheck) {
  const DetectionPolicy p{0.10, 0.95};
  // One clear regression among many unchanged metrics: p = 1/252 alone
  // passes, but with 20 tests BH needs p·20/1 <= 0.05, which 5 vs 5 samples cannot give.
  std::vector<MetricComparison> cs;
  cs.push_back(compareMetric(kProcessingTime, {1.3, 1.31, 1.29, 1.3, 1.32}, {1.0, 1.01, 0.99, 1.0, 1.02}, p));
  for (int i = 0; i < 19; ++i)
    cs.push_back(compareMetric(kProcessingTime, {1.0, 1.01, 0.99, 1.0, 1.02}, {1.0, 1.01, 0.99, 1.0, 1.02}, p));
  std::vector<MetricComparison*> all;
  for (auto& c : cs) all.push_back(&c);
  decide(all, p);
  EXPECT_EQ(cs[0].verdict, Verdict::Inconclusive);  // the caller re-measures
  // With more samples the same regression is decided despite the 19 others.
  cs[0] = compareMetric(kProcessingTime, {1.3, 1.31, 1.29, 1.3, 1.32, 1.3, 1.31, 1.29, 1.3, 1.33},
                        {1.0, 1.01, 0.99, 1.0, 1.02}, p);
  decide(all, p);
  EXPECT_EQ(cs[0].verdict, Verdict::Regressed);
}

TEST(Detection, SimulatedFalseAlarmRateOnUnchangedCodeIsBelowOnePercent) {
  // 2000 checks of unchanged code: log-normal noise, CV 1-10 %, 5 baseline
  // and 5 current samples, plus an occasional 2x outlier. A check alone may
  // say "regressed" below the test's 5 % level (the size rule removes some);
  // an alarm also needs an independent re-run to agree, as the monitor does.
  std::mt19937_64 rng(2026);
  std::uniform_real_distribution<double> cvs(0.01, 0.10), u(0, 1);
  const DetectionPolicy p{0.10, 0.95};
  int regressedChecks = 0, alarms = 0;
  constexpr int kChecks = 2000;
  for (int i = 0; i < kChecks; ++i) {
    const double cv = cvs(rng);
    auto base = lognormal(rng, 5, 1.0, cv);
    auto cur = lognormal(rng, 5, 1.0, cv);
    if (u(rng) < 0.1) cur[0] *= 2.0;
    if (verdictOf(cur, base, p) != Verdict::Regressed) continue;
    ++regressedChecks;
    if (verdictOf(lognormal(rng, 5, 1.0, cv), base, p) == Verdict::Regressed) ++alarms;
  }
  EXPECT_LE(regressedChecks, kChecks * 3 / 100);
  EXPECT_LE(alarms, kChecks / 100);
}

TEST(Detection, ChangesOfThresholdSizeAreFound) {
  // A true 10 % step at a 10 % threshold: the point estimate falls below the
  // threshold half of the time, but the interval reaches it, so the check
  // still finds it (5 vs 10 samples at CV 3 %).
  std::mt19937_64 rng(3);
  const DetectionPolicy p{0.10, 0.95};
  int found = 0;
  for (int i = 0; i < 1000; ++i)
    found += verdictOf(lognormal(rng, 5, 1.10, 0.03), lognormal(rng, 10, 1.0, 0.03), p) == Verdict::Regressed;
  EXPECT_GE(found, 850);
  // The price: a 5 % change (half the threshold) passes a single check
  // about 15 % of the time; with the re-run's confirmation, rarely.
  int small = 0, smallConfirmed = 0;
  for (int i = 0; i < 1000; ++i) {
    const auto base = lognormal(rng, 10, 1.0, 0.03);
    if (verdictOf(lognormal(rng, 5, 1.05, 0.03), base, p) != Verdict::Regressed) continue;
    ++small;
    smallConfirmed += verdictOf(lognormal(rng, 5, 1.05, 0.03), base, p) == Verdict::Regressed;
  }
  EXPECT_LE(small, 200);
  EXPECT_LE(smallConfirmed, 50);
}

TEST(Detection, SimulatedDetectionOfThirtyPercentStepsAtCvThreePercent) {
  std::mt19937_64 rng(11);
  const DetectionPolicy p{0.10, 0.95};
  int detected = 0;
  constexpr int kChecks = 1000;
  for (int i = 0; i < kChecks; ++i) {
    const auto v = verdictOf(lognormal(rng, 5, 1.3, 0.03), lognormal(rng, 5, 1.0, 0.03), p);
    if (v == Verdict::Regressed) ++detected;
  }
  EXPECT_GE(detected, kChecks * 99 / 100);
}

TEST(Detection, AThresholdSizeChangeIsRuledOutOnlyByAWideInterval) {
  // A change is dismissed as below the threshold only when an interval five
  // times surer than the check stays below it; in between, more samples decide.
  EXPECT_DOUBLE_EQ(sizeConfidence(0.95), 0.99);
  EXPECT_DOUBLE_EQ(sizeConfidence(0.99), 0.998);
  std::mt19937_64 rng(17);
  const DetectionPolicy p{0.10, 0.95};
  int dismissed10 = 0, dismissed5 = 0, unsettled5 = 0, settledLater = 0;
  for (int i = 0; i < 1000; ++i) {
    // CV 1 %, 5 against 10 samples: a 10 % step is almost never dismissed
    // (33 in 1000 with the check's own 95 % interval), a 5 % one always is.
    const auto base = lognormal(rng, 10, 1.0, 0.01);
    dismissed10 += verdictOf(lognormal(rng, 5, 1.10, 0.01), base, p) == Verdict::NotRegressed;
    dismissed5 += verdictOf(lognormal(rng, 5, 1.05, 0.01), base, p) == Verdict::NotRegressed;
    // CV 3 %: a significant 5 % step whose size 5 runs cannot settle is
    // inconclusive; twice the runs mostly rule it out.
    const auto base3 = lognormal(rng, 10, 1.0, 0.03);
    auto cur = lognormal(rng, 5, 1.05, 0.03);
    if (verdictOf(cur, base3, p) != Verdict::Inconclusive) continue;
    ++unsettled5;
    const auto more = lognormal(rng, 5, 1.05, 0.03);
    cur.insert(cur.end(), more.begin(), more.end());
    settledLater += verdictOf(cur, base3, p) == Verdict::NotRegressed;
  }
  EXPECT_LE(dismissed10, 10);
  EXPECT_EQ(dismissed5, 1000);
  EXPECT_GT(unsettled5, 100);
  EXPECT_GE(settledLater * 2, unsettled5);
}

// The sequential check's looks (common/detect/sequential.hpp).

TEST(Sequential, TheLooksSpendAlphaAsThePowerThreeOfTheRunsTaken) {
  const LookPlan plan{3, 5};
  EXPECT_NEAR(lookAlpha(3, plan, 0.05), 0.05 * 0.216, 1e-12);  // (3/5)^3
  EXPECT_NEAR(lookAlpha(4, plan, 0.05), 0.05 * 0.512, 1e-12);  // (4/5)^3
  EXPECT_DOUBLE_EQ(lookAlpha(5, plan, 0.05), 0.05);             // the last look: the check's own alpha
  EXPECT_NEAR(lookAlpha(6, LookPlan{6, 10}, 0.01), 0.01 * 0.216, 1e-12);
}

TEST(Sequential, ThreeRunsAllAboveTenSettleARegressionAndOneSwapDoesNot) {
  // 3 current runs against 10: all three above every baseline run is the
  // most extreme ordering, p = 1 / C(13, 3) = 1/286 = 0.0035 (Mann-Whitney,
  // one-sided, exact), under the first look's 0.0108. With one current run
  // below one baseline run p = 2/286 = 0.0070, also under it.
  const DetectionPolicy policy{0.10, 0.95};
  const LookPlan plan{3, 5};
  // Distinct values: with ties the test is no longer exact.
  const std::vector<double> base{1.000, 1.010, 0.990, 1.020, 0.980, 1.005, 1.015, 0.995, 1.030, 0.970};
  auto look = [&](const std::vector<double>& current) {
    auto c = compareMetric(kProcessingTime, current, base, policy);
    std::vector<MetricComparison*> one{&c};
    decide(one, policy);
    const bool settled = settleAtLook(c, current.size(), plan, policy);
    return std::make_tuple(settled, c.verdict, c.pValue);
  };
  auto [settled, verdict, p] = look({1.50, 1.52, 1.48});
  EXPECT_NEAR(p, 1.0 / 286, 1e-9);
  EXPECT_TRUE(settled);
  EXPECT_EQ(verdict, Verdict::Regressed);
  // The lowest current run below the highest baseline run: p = 2/286.
  std::tie(settled, verdict, p) = look({1.50, 1.52, 1.025});  // 1.025 below 1.030 only
  EXPECT_NEAR(p, 2.0 / 286, 1e-9);
  EXPECT_TRUE(settled);
  // One current run below three baseline runs: U = 27 of 30, and 7 of the
  // 286 orderings are as extreme (p = 0.0245): a regression by the fixed
  // rule at alpha 0.05, not yet at this look's 0.0108, so more runs decide.
  std::tie(settled, verdict, p) = look({1.50, 1.45, 1.012});
  EXPECT_NEAR(p, 7.0 / 286, 1e-9);
  EXPECT_FALSE(settled);
  EXPECT_EQ(verdict, Verdict::Inconclusive);
}

TEST(Sequential, PassedSettlesAtOnceInconclusiveOnlyAtTheLastLook) {
  const DetectionPolicy policy{0.10, 0.95};
  const LookPlan plan{3, 5};
  MetricComparison c;
  c.metric = kProcessingTime;
  c.verdict = Verdict::NotRegressed;
  EXPECT_TRUE(settleAtLook(c, 3, plan, policy));
  c.verdict = Verdict::Environment;
  EXPECT_TRUE(settleAtLook(c, 3, plan, policy));
  c.verdict = Verdict::Inconclusive;
  c.pValue = c.pAdjusted = 0.08;  // big enough, not yet significant: more runs may show it
  EXPECT_FALSE(settleAtLook(c, 3, plan, policy));
  EXPECT_FALSE(settleAtLook(c, 4, plan, policy));
  EXPECT_TRUE(settleAtLook(c, 5, plan, policy));  // the fixed design's rule: the caller measures on
  EXPECT_EQ(c.verdict, Verdict::Inconclusive);
  // Futility: evidence this weak (its own p-value) before the last look stops as passed...
  c.pValue = 0.35;
  c.pAdjusted = 0.7;
  EXPECT_TRUE(settleAtLook(c, 3, plan, policy));
  EXPECT_EQ(c.verdict, Verdict::NotRegressed);
  // ...unless the looks are a bisect step's, where "passed" would call a commit good...
  c.verdict = Verdict::Inconclusive;
  EXPECT_FALSE(settleAtLook(c, 3, LookPlan{3, 5, false}, policy));
  EXPECT_EQ(c.verdict, Verdict::Inconclusive);
  // ...or the p-value only grew by the correction over many scenarios.
  c.pValue = 0.08;
  EXPECT_FALSE(settleAtLook(c, 3, plan, policy));
  // ...but not at the last look, where the fixed design's rule decides.
  c.verdict = Verdict::Inconclusive;
  EXPECT_TRUE(settleAtLook(c, 5, plan, policy));
  EXPECT_EQ(c.verdict, Verdict::Inconclusive);
  // A regression at the last look is the fixed design's, whatever its p.
  c.verdict = Verdict::Regressed;
  c.severity = Severity::Info;
  c.pAdjusted = 0.04;
  EXPECT_TRUE(settleAtLook(c, 5, plan, policy));
  EXPECT_EQ(c.verdict, Verdict::Regressed);
  EXPECT_FALSE(settleAtLook(c, 4, plan, policy));  // 0.04 > 0.0256
  EXPECT_EQ(c.verdict, Verdict::Inconclusive);
  EXPECT_EQ(c.severity, Severity::None);
}

TEST(Sequential, SimulatedLooksStopEarlyOnQuietCodeAndKeepTheFalseAlarmRate) {
  // Seeded: 2000 checks of unchanged code at CV 3 % (5 runs at most, 10
  // baseline runs), looking after 3, 4 and 5 runs as the engine does, and
  // the same checks decided on all 5 runs. The looks must take at most
  // 3.3 runs on average and regress no more often than the fixed design
  // plus one check in 500 (each early look spends little alpha; stopping
  // on "passed" can only lower the rate).
  std::mt19937_64 rng(20261203);
  const DetectionPolicy policy{0.10, 0.95};
  const LookPlan plan{3, 5};
  size_t runs = 0, sequentialAlarms = 0, fixedAlarms = 0;
  const size_t checks = 2000;
  for (size_t i = 0; i < checks; ++i) {
    const auto base = lognormal(rng, 10, 1.0, 0.03);
    const auto current = lognormal(rng, 5, 1.0, 0.03);
    for (size_t n = plan.minRuns; n <= plan.maxRuns; ++n) {
      auto c = compareMetric(kProcessingTime, std::vector<double>(current.begin(), current.begin() + static_cast<long>(n)), base, policy);
      std::vector<MetricComparison*> one{&c};
      decide(one, policy);
      if (settleAtLook(c, n, plan, policy)) {
        runs += n;
        sequentialAlarms += c.verdict == Verdict::Regressed;
        break;
      }
    }
    fixedAlarms += verdictOf(current, base, policy) == Verdict::Regressed;
  }
  EXPECT_LE(static_cast<double>(runs) / checks, 3.3);
  EXPECT_LE(sequentialAlarms, fixedAlarms + checks / 500);
}

TEST(Sequential, SimulatedFiftyPercentStepsAreDecidedInThreeRuns) {
  // Seeded: 500 checks of a 50 % slow-down at CV 3 %: every one regressed at
  // the first look, after 3 runs.
  std::mt19937_64 rng(7);
  const DetectionPolicy policy{0.10, 0.95};
  const LookPlan plan{3, 5};
  size_t atThree = 0;
  for (int i = 0; i < 500; ++i) {
    const auto base = lognormal(rng, 10, 1.0, 0.03);
    const auto current = lognormal(rng, 3, 1.5, 0.03);
    auto c = compareMetric(kProcessingTime, current, base, policy);
    std::vector<MetricComparison*> one{&c};
    decide(one, policy);
    atThree += settleAtLook(c, 3, plan, policy) && c.verdict == Verdict::Regressed;
  }
  EXPECT_EQ(atThree, 500u);
}

TEST(Sequential, ASpeedupSettlesOnlyWhenItsIntervalIsReachableAndOnOneSide) {
  const double confidence = 0.95;
  const std::vector<double> ref{1.00, 1.02, 0.98, 1.01, 0.99}, tenTimes{0.100, 0.102, 0.098, 0.101, 0.099};
  const std::vector<double> twice{0.50, 0.51, 0.49, 0.505, 0.495}, nearMin{0.25, 0.20, 0.30, 0.24, 0.26};
  auto first = [](const std::vector<double>& v, size_t n) { return std::vector<double>(v.begin(), v.begin() + static_cast<long>(n)); };
  // 3 against 3: the widest interval holds with 1 - 2/20 = 0.90, short of any
  // look's level (0.9986 at 3 of 8): no verdict, however clear.
  EXPECT_EQ(speedupAtLook(first(ref, 3), first(tenTimes, 3), 4.0, LookPlan{3, 8}, confidence), SpeedupLook::Undecided);
  // 5 against 5 (1 - 2/252 = 0.992) at the look 5 of 8 (0.9878): 10x is
  // surely above 4x, 2x surely below; 4x with 20 % noise is neither.
  EXPECT_EQ(speedupAtLook(ref, tenTimes, 4.0, LookPlan{3, 8}, confidence), SpeedupLook::Above);
  EXPECT_EQ(speedupAtLook(ref, twice, 4.0, LookPlan{3, 8}, confidence), SpeedupLook::Below);
  EXPECT_EQ(speedupAtLook(ref, nearMin, 4.0, LookPlan{3, 8}, confidence), SpeedupLook::Undecided);
  // At the last look the caller's own rule decides.
  EXPECT_EQ(speedupAtLook(ref, tenTimes, 4.0, LookPlan{3, 5}, confidence), SpeedupLook::Undecided);
}

// A baseline's fewest runs: the check's first look must be able to reach its
// level, 2 / C(n + m, m) <= alpha (m / max)^3. For 3 of 5 at 0.05 (0.0108):
// C(11, 3) = 165 gives 0.0121, C(12, 3) = 220 gives 0.0091: 9 runs. A check
// without early looks (3 of 3, 0.05): C(7, 3) = 35 is too few, C(8, 3) = 56
// enough: 5. Five of five: C(8, 5) = 56 already at 3.
TEST(Sequential, ABaselineTakesAtLeastTheRunsAChecksFirstLookNeeds) {
  EXPECT_EQ(baselineRunsForFirstLook({3, 5}, 0.05), 9u);
  EXPECT_EQ(baselineRunsForFirstLook({3, 3}, 0.05), 5u);
  EXPECT_EQ(baselineRunsForFirstLook({5, 5}, 0.05), 3u);
  // A check of two or three scenarios corrects over 4 or 6 tests: C(15, 3) = 455 and C(16, 3) = 560.
  EXPECT_EQ(baselineRunsForFirstLook({3, 5}, 0.05, 4), 12u);
  EXPECT_EQ(baselineRunsForFirstLook({3, 5}, 0.05, 6), 13u);
}

TEST(Sequential, ABaselineIsPreciseOnceItsMediansIntervalIsAQuarterOfTheThreshold) {
  const DetectionPolicy policy{0.10, 0.95};
  // Nine runs, x(2) to x(8) within 2.5 % of the median: precise.
  const std::vector<double> quiet{1.00, 0.99, 1.01, 0.985, 1.015, 0.97, 1.02, 1.005, 0.995};
  EXPECT_TRUE(baselinePrecise(quiet, kProcessingTime, policy));
  // x(8) 3 % above the median: not yet.
  std::vector<double> wider = quiet;
  wider[6] = 1.04;
  wider[4] = 1.03;
  EXPECT_FALSE(baselinePrecise(wider, kProcessingTime, policy));
  // With a 20 % threshold the same runs are precise enough.
  EXPECT_TRUE(baselinePrecise(wider, kProcessingTime, DetectionPolicy{0.20, 0.95}));
  // Memory: within 0.1 MB either side, under a quarter of the 1 MB below which changes never alert.
  const std::vector<double> memory{2.0, 2.2, 2.1, 1.9, 2.0, 2.1, 2.0, 1.95, 2.05};
  EXPECT_TRUE(baselinePrecise(memory, kMemoryUsage, policy));
  EXPECT_FALSE(baselinePrecise(memory, kProcessingTime, policy));  // 5 % is far for a time
  EXPECT_FALSE(baselinePrecise({1.0, 1.0}, kProcessingTime, policy));  // fewer than a baseline's 3
  // Five identical runs: their range covers the median only 93.75 % of the time, short of 95 %.
  EXPECT_FALSE(baselinePrecise({1.0, 1.0, 1.0, 1.0, 1.0}, kProcessingTime, policy));
  EXPECT_TRUE(baselinePrecise({1.0, 1.0, 1.0, 1.0, 1.0, 1.0}, kProcessingTime, policy));
}

TEST(LevelStep, TheLiveBaselineThatTookTwoLevelsKeepsTheSecond) {
  // Shaped like issue 16's live A/A: continuous_small_gif's baseline (ms)
  // took four runs at 10 ms, then the scenario moved and stayed at 11-13.5 ms.
  const std::vector<double> runs{10.1, 10.0, 10.2, 10.1, 12.2, 12.9, 13.5, 11.9, 12.6, 13.1};
  const auto step = levelStep(runs, 0.10);
  ASSERT_TRUE(step);
  EXPECT_EQ(step->firstOfNewLevel, 4u);
  EXPECT_DOUBLE_EQ(step->before, 10.1);
  EXPECT_DOUBLE_EQ(step->after, 12.75);
  // Exact p: K >= 24 takes 4|6 or 6|4 without overlap (4 of C(10,4) = 210
  // sets) or 5|5 (2 of 252): 0.0270. 2000 permutations: standard error 0.0036.
  EXPECT_NEAR(step->pValue, 0.0270, 0.012);
}

TEST(LevelStep, TooFewRunsOrAStepUnderHalfTheThresholdIsNone) {
  EXPECT_FALSE(levelStep(std::vector<double>{1, 1, 1, 2, 2}, 0.10));  // 5 runs: 3 a side cannot be
  // 4 % without overlap: significant, but under half of 10 %.
  EXPECT_FALSE(levelStep(std::vector<double>{1.0, 1.0, 1.0, 1.0, 1.04, 1.04, 1.04, 1.04, 1.04, 1.04}, 0.10));
  // The same step counts against a threshold of 5 %.
  EXPECT_TRUE(levelStep(std::vector<double>{1.0, 1.0, 1.0, 1.0, 1.04, 1.04, 1.04, 1.04, 1.04, 1.04}, 0.05));
  // A lone slow run is not a level.
  EXPECT_FALSE(levelStep(std::vector<double>{1.0, 1.01, 0.99, 1.0, 1.6, 1.0, 1.01, 0.99, 1.0, 1.0}, 0.10));
}

TEST(LevelStep, SimulatedSteadyBaselinesAreRarelyCutAndStepsAreFound) {
  // 2000 seeded baselines of 10 runs at CV 3 % and 10 %: the test's level is
  // 0.05, and half the threshold (5 %) more is asked of the step, so steady
  // runs are cut in well under 5 % of baselines. A 20 % step after run 4 at
  // CV 3 % is found nearly always, and what is kept is the new level: the cut
  // is at run 4, or at run 5 when run 4 was the new level's fastest (then the
  // first five runs are the five fastest, and no test can tell the two cuts
  // apart).
  std::mt19937_64 rng(16);
  for (const double cv : {0.03, 0.10}) {
    int cut = 0;
    for (int i = 0; i < 2000; ++i) cut += levelStep(lognormal(rng, 10, 1.0, cv), 0.10).has_value();
    EXPECT_LT(cut, 2000 * 0.05) << "cv " << cv;
  }
  int found = 0, atTheChange = 0;
  for (int i = 0; i < 2000; ++i) {
    auto runs = lognormal(rng, 4, 1.0, 0.03);
    const auto later = lognormal(rng, 6, 1.2, 0.03);
    runs.insert(runs.end(), later.begin(), later.end());
    const auto step = levelStep(runs, 0.10);
    found += step.has_value();
    atTheChange += step && (step->firstOfNewLevel == 4 || step->firstOfNewLevel == 5);
  }
  EXPECT_GT(found, 2000 * 0.95);
  EXPECT_GT(atTheChange, 2000 * 0.95);
}
