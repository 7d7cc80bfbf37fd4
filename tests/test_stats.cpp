// Statistics against known answers: textbook examples, SciPy's documented
// examples, and values derived by hand (shown in the comments).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "common/detect/stats.hpp"

using namespace giflab::stats;

TEST(Stats, MeanStdMedianPercentileMad) {
  const std::vector<double> x{2, 4, 4, 4, 5, 5, 7, 9};
  EXPECT_DOUBLE_EQ(mean(x), 5.0);
  EXPECT_NEAR(sampleStd(x), std::sqrt(32.0 / 7.0), 1e-12);  // 2.13809
  EXPECT_DOUBLE_EQ(median(std::vector<double>{3, 1, 2}), 2.0);
  EXPECT_DOUBLE_EQ(median(std::vector<double>{1, 2, 3, 4}), 2.5);
  EXPECT_DOUBLE_EQ(percentile(std::vector<double>{1, 2, 3, 4}, 25), 1.75);  // numpy's linear method
  EXPECT_DOUBLE_EQ(percentile(std::vector<double>{1, 2, 3, 4}, 100), 4.0);
  EXPECT_DOUBLE_EQ(mad(std::vector<double>{1, 1, 2, 2, 4, 6, 9}), 1.0);
  EXPECT_DOUBLE_EQ(sampleStd(std::vector<double>{7}), 0.0);
  EXPECT_TRUE(std::isnan(mean(std::vector<double>{})));
}

TEST(Stats, NormalDistribution) {
  EXPECT_NEAR(normalCdf(1.96), 0.9750021048517795, 1e-12);
  EXPECT_NEAR(normalCdf(0.0), 0.5, 1e-15);
  EXPECT_NEAR(normalQuantile(0.975), 1.959963984540054, 1e-12);
  EXPECT_NEAR(normalQuantile(0.995), 2.5758293035489004, 1e-12);
  EXPECT_NEAR(normalQuantile(1e-10), -6.361340902404056, 1e-9);
  EXPECT_NEAR(zForConfidence(0.95), 1.96, 0.0001);
  EXPECT_NEAR(zForConfidence(0.99), 2.576, 0.0005);  // the design rounds to 2.576
}

TEST(Stats, ConfidenceIntervalAndControlLimits) {
  const std::vector<double> x{2, 4, 4, 4, 5, 5, 7, 9};
  // 5 ± 1.959964 · 2.138090 / √8 = 5 ± 1.481593
  const auto ci = confidenceInterval(x, 0.95);
  EXPECT_NEAR(ci.low, 3.518407, 1e-5);
  EXPECT_NEAR(ci.high, 6.481593, 1e-5);
  const auto cl = controlLimits(10.0, 2.0, 0.99);  // 10 ± 2.5758 · 2
  EXPECT_NEAR(cl.low, 10 - 5.151659, 1e-5);
  EXPECT_NEAR(cl.high, 10 + 5.151659, 1e-5);
}

TEST(Stats, LeastSquaresTextbook) {
  // The classic example: slope 0.6, intercept 2.2, r² 0.6.
  const auto f = leastSquares(std::vector<double>{1, 2, 3, 4, 5}, std::vector<double>{2, 4, 5, 4, 5});
  EXPECT_NEAR(f.slope, 0.6, 1e-12);
  EXPECT_NEAR(f.intercept, 2.2, 1e-12);
  EXPECT_NEAR(f.r2, 0.6, 1e-12);
}

TEST(Stats, TheilSenIgnoresAnOutlier) {
  // Pairwise slopes: six of 1, then 24.75, 32.7, 48.5, 96: the median is 1.
  const auto f = theilSen(std::vector<double>{1, 2, 3, 4, 5}, std::vector<double>{1, 2, 3, 4, 100});
  EXPECT_DOUBLE_EQ(f.slope, 1.0);
  EXPECT_DOUBLE_EQ(f.intercept, 0.0);
  EXPECT_GT(leastSquares(std::vector<double>{1, 2, 3, 4, 5}, std::vector<double>{1, 2, 3, 4, 100}).slope, 19.9);  // least squares: 200/10 = 20
}

TEST(Stats, MannWhitneyExactScipyExample) {
  // SciPy's documentation example: U1 = 17, exact two-sided p = 0.1111.
  const std::vector<double> males{19, 22, 16, 29, 24}, females{20, 11, 17, 12};
  const auto r = mannWhitneyU(males, females);
  EXPECT_DOUBLE_EQ(r.statistic, 17.0);
  EXPECT_TRUE(r.exact);
  EXPECT_NEAR(r.pValue, 0.1111111111111111, 1e-12);
  // All of x above all of y: P = 1 / C(6,3) = 0.05 and 1 / C(10,5) = 1/252.
  EXPECT_NEAR(mannWhitneyU(std::vector<double>{4, 5, 6}, std::vector<double>{1, 2, 3}, Alternative::Greater).pValue,
              0.05, 1e-12);
  EXPECT_NEAR(mannWhitneyU(std::vector<double>{6, 7, 8, 9, 10}, std::vector<double>{1, 2, 3, 4, 5},
                           Alternative::Greater).pValue,
              1.0 / 252, 1e-12);
  EXPECT_NEAR(mannWhitneyU(std::vector<double>{6, 7, 8, 9, 10}, std::vector<double>{1, 2, 3, 4, 5},
                           Alternative::Less).pValue,
              1.0, 1e-12);
}

TEST(Stats, MannWhitneyNormalApproximationWithTies) {
  // x = 1 2 3 3, y = 3 4 5: ranks 1 2 4 4 | 4 6 7, R1 = 11, U1 = 1.
  // σ² = 4·3/12 · (8 − 24/42) = 7.428571; z = (1 − 6 + 0.5)/2.725541 = −1.651048
  const auto r = mannWhitneyU(std::vector<double>{1, 2, 3, 3}, std::vector<double>{3, 4, 5}, Alternative::Less);
  EXPECT_FALSE(r.exact);
  EXPECT_DOUBLE_EQ(r.statistic, 1.0);
  EXPECT_NEAR(r.pValue, normalCdf(-4.5 / std::sqrt(8.0 - 24.0 / 42.0)), 1e-12);
  EXPECT_NEAR(r.pValue, 0.04936, 1e-4);
}

TEST(Stats, MannWhitneyAboveTheExactLimitUsesTheNormalWithContinuity) {
  // 120 · 100 = 12,000 pairs > 10,000: normal approximation. R 4.2:
  //   x <- sin(1:120) * 10 + 1; y <- cos(1:100) * 10
  //   wilcox.test(x, y, exact = FALSE, correct = TRUE)  # W = 6698, p = 0.137886732394299
  //   wilcox.test(x, y, exact = FALSE, correct = TRUE, alternative = "greater")  # p = 0.0689433661971497
  std::vector<double> x(120), y(100);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(static_cast<double>(i + 1)) * 10 + 1;
  for (size_t j = 0; j < y.size(); ++j) y[j] = std::cos(static_cast<double>(j + 1)) * 10;
  const auto two = mannWhitneyU(x, y);
  EXPECT_FALSE(two.exact);
  EXPECT_DOUBLE_EQ(two.statistic, 6698);
  EXPECT_NEAR(two.pValue, 0.137886732394299, 1e-9);
  EXPECT_NEAR(mannWhitneyU(x, y, Alternative::Greater).pValue, 0.0689433661971497, 1e-9);
}

TEST(Stats, MannWhitneyExactAgreesWithSimulationOfTheNull) {
  // Under the null, P(p <= 0.05) must be at most 0.05 (the exact test is
  // conservative on a discrete distribution). Seeded.
  std::mt19937_64 rng(7);
  std::normal_distribution<double> n(0, 1);
  int rejections = 0;
  const int trials = 4000;
  for (int t = 0; t < trials; ++t) {
    std::vector<double> a(6), b(7);
    for (auto& v : a) v = n(rng);
    for (auto& v : b) v = n(rng);
    if (mannWhitneyU(a, b).pValue <= 0.05) ++rejections;
  }
  const double rate = static_cast<double>(rejections) / trials;
  EXPECT_LE(rate, 0.058);
  EXPECT_GE(rate, 0.035);
}

TEST(Stats, HodgesLehmann) {
  const auto e = hodgesLehmann(std::vector<double>{1, 2, 3}, std::vector<double>{0}, 0.95);
  EXPECT_DOUBLE_EQ(e.shift, 2.0);
  // A clear shift of 10 with small noise: the interval holds 10 and excludes 0.
  const auto s = hodgesLehmann(std::vector<double>{10.1, 9.9, 10.0, 10.2, 9.8, 10.05},
                               std::vector<double>{0.1, -0.1, 0.0, 0.2, -0.2, 0.05}, 0.95);
  EXPECT_NEAR(s.shift, 10.0, 0.05);
  EXPECT_LT(s.ci.low, 10.0);
  EXPECT_GT(s.ci.high, 10.0);
  EXPECT_GT(s.ci.low, 9.5);
}

// R 4.2: wilcox.test(x, y, conf.int = TRUE, conf.level = L, exact = TRUE),
// printing w$estimate and w$conf.int. Small samples without ties use the
// exact distribution, as R does.
TEST(Stats, HodgesLehmannMatchesRExactIntervals) {
  struct Case {
    std::vector<double> x, y;
    double estimate, low95, high95, low99, high99;
  };
  const std::vector<Case> cases{
      // 5 v 5
      {{1.83, 0.50, 1.62, 2.48, 1.68}, {0.878, 0.647, 0.598, 2.05, 1.06}, 0.77, -0.43, 1.602, -1.55, 1.882},
      // 5 v 10
      {{0.131, 0.127, 0.135, 0.129, 0.133},
       {0.101, 0.098, 0.104, 0.099, 0.102, 0.097, 0.105, 0.100, 0.103, 0.096},
       0.0305, 0.026, 0.035, 0.025, 0.036},
      // 6 v 6
      {{10.2, 11.5, 9.8, 12.1, 10.9, 11.3}, {9.1, 10.4, 8.7, 9.9, 10.0, 9.5}, 1.4, 0.3, 2.4, -0.2, 2.8},
  };
  for (const auto& c : cases) {
    const PairwiseShifts shifts(c.x, c.y);
    EXPECT_NEAR(shifts.estimate(), c.estimate, 1e-9);
    const auto i95 = shifts.interval(0.95), i99 = shifts.interval(0.99);
    EXPECT_NEAR(i95.low, c.low95, 1e-9) << c.x.size() << " v " << c.y.size();
    EXPECT_NEAR(i95.high, c.high95, 1e-9) << c.x.size() << " v " << c.y.size();
    EXPECT_NEAR(i99.low, c.low99, 1e-9) << c.x.size() << " v " << c.y.size();
    EXPECT_NEAR(i99.high, c.high99, 1e-9) << c.x.size() << " v " << c.y.size();
  }
}

TEST(Stats, HodgesLehmannIntervalCoversTheTrueShiftAsOftenAsItSays) {
  // 5 v 5 exact at 95 %: R's interval has coverage 1 - 2·P(U <= 2) = 1 - 2·4/252
  // = 0.968 (discrete, so at least 95 %). Seeded simulation of 4000 pairs.
  std::mt19937_64 rng(11);
  std::normal_distribution<double> n(0, 1);
  int covered = 0;
  const int trials = 4000;
  for (int t = 0; t < trials; ++t) {
    std::vector<double> a(5), b(5);
    for (auto& v : a) v = n(rng) + 0.7;
    for (auto& v : b) v = n(rng);
    const auto ci = PairwiseShifts(a, b).interval(0.95);
    covered += ci.low <= 0.7 && 0.7 <= ci.high;
  }
  EXPECT_NEAR(static_cast<double>(covered) / trials, 1 - 8.0 / 252, 0.01);
}

TEST(Stats, MannKendall) {
  // Strictly increasing, n = 10: S = 45, Var = 10·9·25/18 = 125, z = 44/√125 = 3.93548.
  std::vector<double> y(10);
  for (int i = 0; i < 10; ++i) y[static_cast<size_t>(i)] = i;
  const auto t = mannKendall(y);
  EXPECT_DOUBLE_EQ(t.s, 45);
  EXPECT_NEAR(t.z, 44 / std::sqrt(125.0), 1e-12);
  EXPECT_NEAR(t.pValue, 8.30e-5, 0.02e-5);
  EXPECT_DOUBLE_EQ(t.tau, 1.0);
  const auto flat = mannKendall(std::vector<double>{3, 3, 3, 3});
  EXPECT_DOUBLE_EQ(flat.pValue, 1.0);
}

TEST(Stats, MannKendallWithTiesMatchesR) {
  // R 4.2: y <- c(1,3,2,2,5,4,4,6,5,8,7,7,9)
  //   cor.test(seq_along(y), y, method = "kendall", exact = FALSE, continuity = TRUE)
  //   z = 3.62662280187825, p-value = 0.000287152286946168 (ties only in y, so
  //   R's variance is the Mann–Kendall tie-corrected one)
  const auto t = mannKendall(std::vector<double>{1, 3, 2, 2, 5, 4, 4, 6, 5, 8, 7, 7, 9});
  EXPECT_NEAR(t.z, 3.62662280187825, 1e-12);
  EXPECT_NEAR(t.pValue, 0.000287152286946168, 1e-12);
}

TEST(Stats, TheilSenWithAnEvenNumberOfSlopesAveragesTheMiddleTwo) {
  // SciPy 1.10: theilslopes([1.0, 2.5, 2.9, 4.8, 5.1], [0, 1, 2, 3, 4], method="joint")
  //   slope = 1.0625 (10 slopes; the middle two are 1.025 and 1.1), intercept = 1.0
  const auto f = theilSen(std::vector<double>{0, 1, 2, 3, 4}, std::vector<double>{1.0, 2.5, 2.9, 4.8, 5.1});
  EXPECT_NEAR(f.slope, 1.0625, 1e-12);
  EXPECT_NEAR(f.intercept, 1.0, 1e-12);
}

TEST(Stats, Pettitt) {
  // Ranks 1..10 with a step after the 5th value: U = |2·15 − 5·11| = 25,
  // p = 2·exp(−6·625/1100) = 0.066142.
  const auto r = pettitt(std::vector<double>{1, 2, 3, 4, 5, 11, 12, 13, 14, 15});
  EXPECT_EQ(r.index, 4u);
  EXPECT_DOUBLE_EQ(r.k, 25.0);
  EXPECT_NEAR(r.pValue, 2 * std::exp(-6.0 * 625 / 1100), 1e-12);
}

TEST(Stats, PettittMatchesItsDefinitionAndHonoursTheMinimumSegment) {
  // From the definition, U_t = sum over i <= t < j of sign(y_j - y_i) (NumPy):
  //   U = [3, 12, 17, 24, 25, 36, 31, 22, 21, 10, 7], K = 36 at t = 5 (0-based),
  //   p = 2·exp(-6·36² / (12³ + 12²)) = 0.03140780113025614
  const std::vector<double> y{1.2, 0.9, 1.1, 1.0, 1.3, 0.8, 1.9, 2.1, 1.7, 2.2, 1.8, 2.0};
  const auto r = pettitt(y);
  EXPECT_EQ(r.index, 5u);
  EXPECT_DOUBLE_EQ(r.k, 36.0);
  EXPECT_NEAR(r.pValue, 0.03140780113025614, 1e-12);
  // With at least 7 points on each side the split can only be after index 5
  // or before: t = 5 is 6 points on the left, so t = 6 (5 right) is out too.
  const auto limited = pettitt(y, 7);
  EXPECT_LT(limited.k, 0);  // 12 points cannot be cut into two parts of 7
  const auto six = pettitt(y, 6);
  EXPECT_EQ(six.index, 5u);  // the only allowed split
  EXPECT_DOUBLE_EQ(six.k, 36.0);
}

TEST(Stats, PettittByPermutationMatchesTheExactDistribution) {
  // Exact p-values from every order of the ranks (itertools.permutations,
  // NumPy), at least 3 points on each side of the split:
  //   [1, 2, 3, 10, 11, 12, 13, 14]                      K = 16, p = 2/70 = 0.0285714
  //   [10, 10.4, 9.8, 10.1, 12, 10.3, 12.5, 11.8, 12.2]  K = 18, p = 0.0839286
  //   the same with 10.4 twice (a tie, average ranks)     K = 16, p = 0.1289683
  //   1..10 in order (5 and 5 without overlap)            K = 25, p = 0.0079365
  // With 20000 permutations the standard errors are 0.0006-0.0024: 4 of them allowed.
  const struct {
    std::vector<double> y;
    double exact;
  } cases[] = {{{1, 2, 3, 10, 11, 12, 13, 14}, 2.0 / 70},
               {{10, 10.4, 9.8, 10.1, 12, 10.3, 12.5, 11.8, 12.2}, 0.0839286},
               {{10, 10.4, 10.4, 10.1, 12, 10.3, 12.5, 11.8, 12.2}, 0.1289683},
               {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.0079365}};
  for (const auto& c : cases) {
    const double se = std::sqrt(c.exact * (1 - c.exact) / 20000);
    EXPECT_NEAR(pettittPermutationP(c.y, 3, 20000, 7), c.exact, 4 * se + 1.0 / 20000) << c.y.size();
  }
  // The asymptotic p of the last case is 8 times too large (the reason this exists).
  EXPECT_GT(pettitt(std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 3).pValue, 0.06);
  // No split leaves 3 on each side of 5 points: nothing to test.
  EXPECT_EQ(pettittPermutationP(std::vector<double>{1, 2, 3, 4, 5}, 3, 100, 1), 1.0);
}

TEST(Stats, BenjaminiHochberg) {
  // Sorted 0.005 0.01 0.03 0.04 → p·m/k = 0.02 0.02 0.04 0.04.
  const std::vector<double> p{0.01, 0.04, 0.03, 0.005};
  const auto adj = benjaminiHochbergAdjusted(p);
  EXPECT_NEAR(adj[0], 0.02, 1e-12);
  EXPECT_NEAR(adj[1], 0.04, 1e-12);
  EXPECT_NEAR(adj[2], 0.04, 1e-12);
  EXPECT_NEAR(adj[3], 0.02, 1e-12);
  const auto rej = benjaminiHochberg(std::vector<double>{0.01, 0.02, 0.03, 0.5}, 0.05);
  EXPECT_EQ(rej, (std::vector<bool>{true, true, true, false}));
  const auto none = benjaminiHochberg(std::vector<double>{0.02, 0.5}, 0.03);  // 0.02·2/1 = 0.04 > 0.03
  EXPECT_EQ(none, (std::vector<bool>{false, false}));
}

TEST(Stats, RanksAverageTies) {
  EXPECT_EQ(ranks(std::vector<double>{10, 20, 20, 5}), (std::vector<double>{2, 3.5, 3.5, 1}));
}

// Textbook order-statistic intervals for the median (Conover, Practical
// Nonparametric Statistics, table A3): n = 9 and 10 at 95 % are (x(2), x(8))
// and (x(2), x(9)), n = 20 is (x(6), x(15)); n = 5 cannot reach 95 %
// (1 - 2/32 = 0.9375), so it is the range.
TEST(Stats, MedianIntervalIsTheTextbookOrderStatistics) {
  auto ordered = [](size_t n) {
    std::vector<double> x;
    for (size_t i = n; i >= 1; --i) x.push_back(static_cast<double>(i));  // unsorted on purpose
    return x;
  };
  auto ci = medianInterval(ordered(9), 0.95);
  EXPECT_EQ(ci.low, 2);
  EXPECT_EQ(ci.high, 8);
  ci = medianInterval(ordered(10), 0.95);
  EXPECT_EQ(ci.low, 2);
  EXPECT_EQ(ci.high, 9);
  ci = medianInterval(ordered(20), 0.95);
  EXPECT_EQ(ci.low, 6);
  EXPECT_EQ(ci.high, 15);
  ci = medianInterval(ordered(5), 0.95);
  EXPECT_EQ(ci.low, 1);
  EXPECT_EQ(ci.high, 5);
  // At 80 %, n = 9 narrows to (x(3), x(7)): P(B <= 2) = 46/512 = 0.0898 is within the 0.10 tail.
  ci = medianInterval(ordered(9), 0.80);
  EXPECT_EQ(ci.low, 3);
  EXPECT_EQ(ci.high, 7);
}
