#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <random>

#include "common/detect/analysis.hpp"
#include "common/base/error.hpp"
#include "common/detect/series.hpp"

using namespace giflab;

TEST(ChangePoints, FindsStepsAndTheirDirection) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> noise(0, 0.01);
  std::vector<double> v;
  for (int i = 0; i < 40; ++i) v.push_back(1.0 + noise(rng));
  for (int i = 0; i < 40; ++i) v.push_back(1.3 + noise(rng));
  for (int i = 0; i < 40; ++i) v.push_back(1.1 + noise(rng));
  const auto cps = detectChangePoints(v);
  ASSERT_EQ(cps.size(), 2u);
  EXPECT_NEAR(static_cast<double>(cps[0].index), 40, 1);
  EXPECT_EQ(cps[0].direction, ChangeDirection::Regression);
  EXPECT_NEAR(cps[0].before, 1.0, 0.02);
  EXPECT_NEAR(cps[0].after, 1.3, 0.02);
  EXPECT_NEAR(static_cast<double>(cps[1].index), 80, 1);
  EXPECT_EQ(cps[1].direction, ChangeDirection::Improvement);
}

TEST(ChangePoints, SpikesAndNoiseMakeNoChange) {
  // 200 stable series of 60 points with two wild single-point outliers each.
  std::mt19937_64 rng(9);
  std::normal_distribution<double> noise(0, 0.03);
  int falseSeries = 0;
  for (int s = 0; s < 200; ++s) {
    std::vector<double> v;
    for (int i = 0; i < 60; ++i) v.push_back(1.0 + noise(rng));
    v[17] = 5.0;
    v[41] = 0.2;
    if (!detectChangePoints(v).empty()) ++falseSeries;
  }
  EXPECT_LE(falseSeries, 2);
}

TEST(ChangePoints, MinimumSegmentSize) {
  // A burst of 3 slow points at the start, the end or the middle of a series
  // is no regime of its own (5 points make one), noisy or not.
  std::mt19937_64 rng(8);
  std::normal_distribution<double> noise(0, 0.01);
  for (size_t at : {size_t{0}, size_t{12}, size_t{27}}) {
    std::vector<double> v(30, 1.0), noisy(30);
    for (size_t i = 0; i < 30; ++i) noisy[i] = 1.0 + noise(rng);
    for (size_t i = at; i < at + 3; ++i) v[i] = noisy[i] = 2.0;
    EXPECT_TRUE(detectChangePoints(v).empty()) << "burst at " << at;
    EXPECT_TRUE(detectChangePoints(noisy).empty()) << "noisy burst at " << at;
  }
  EXPECT_TRUE(detectChangePoints({1, 2, 3}).empty());
}

namespace {

// Issue 17's failure modes on seeded synthetic series (the reference
// implementation's checks, tools/cp-reference/synthetic.py).
std::vector<double> noisy(std::mt19937_64& rng, size_t n, double cv, const std::function<double(size_t)>& level) {
  std::normal_distribution<double> noise(0, cv);
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = level(i) * (1 + noise(rng));
  return v;
}

bool foundNear(const std::vector<ChangePoint>& cps, size_t where, size_t margin = 5) {
  return std::any_of(cps.begin(), cps.end(), [&](const ChangePoint& c) {
    return (c.index > where ? c.index - where : where - c.index) <= margin;
  });
}

}  // namespace

TEST(ChangePoints, OneStepInFiveThousandPointsIsFoundWhereItIs) {
  for (uint64_t seed = 0; seed < 5; ++seed) {
    std::mt19937_64 rng(seed);
    const auto v = noisy(rng, 5000, 0.02, [](size_t i) { return i < 4880 ? 1.0 : 1.1; });
    const auto cps = detectChangePoints(v);
    ASSERT_EQ(cps.size(), 1u) << "seed " << seed;
    EXPECT_TRUE(foundNear(cps, 4880)) << cps[0].index;
    EXPECT_NEAR(cps[0].relativeChange, 0.10, 0.02);
  }
  // 120 points before the end of 5,133.
  for (uint64_t seed = 0; seed < 5; ++seed) {
    std::mt19937_64 rng(100 + seed);
    const auto v = noisy(rng, 5133, 0.02, [](size_t i) { return i < 5013 ? 1.0 : 1.1; });
    const auto cps = detectChangePoints(v);
    ASSERT_EQ(cps.size(), 1u) << "seed " << seed;
    EXPECT_TRUE(foundNear(cps, 5013));
  }
}

TEST(ChangePoints, ATwoPercentStepOnAQuietSeriesIsFound) {
  for (uint64_t seed = 0; seed < 5; ++seed) {
    std::mt19937_64 rng(seed);
    const auto v = noisy(rng, 60, 0.001, [](size_t i) { return i < 30 ? 1.0 : 1.02; });
    const auto cps = detectChangePoints(v);
    ASSERT_EQ(cps.size(), 1u) << "seed " << seed;
    EXPECT_TRUE(foundNear(cps, 30));
  }
}

TEST(ChangePoints, AStepOnATrendIsFoundAndATrendAloneIsNoStep) {
  for (uint64_t seed = 0; seed < 5; ++seed) {
    std::mt19937_64 rng(seed);
    const auto stepOnTrend =
        noisy(rng, 200, 0.01, [](size_t i) { return (1.0 + 0.2 * static_cast<double>(i) / 200) * (i < 120 ? 1.0 : 1.05); });
    const auto cps = detectChangePoints(stepOnTrend);
    ASSERT_EQ(cps.size(), 1u) << "seed " << seed;
    EXPECT_TRUE(foundNear(cps, 120));
    const auto trend = noisy(rng, 200, 0.01, [](size_t i) { return 1.0 + 0.2 * static_cast<double>(i) / 200; });
    EXPECT_TRUE(detectChangePoints(trend).empty()) << "seed " << seed;
  }
}

TEST(ChangePoints, ThreePercentOfWildOutliersGiveNone) {
  for (uint64_t seed = 0; seed < 5; ++seed) {
    std::mt19937_64 rng(seed);
    auto v = noisy(rng, 200, 0.02, [](size_t) { return 1.0; });
    std::uniform_int_distribution<size_t> at(0, 199);
    std::uniform_real_distribution<double> size(1.5, 4.0);
    for (int k = 0; k < 6; ++k) v[at(rng)] *= size(rng);
    EXPECT_TRUE(detectChangePoints(v).empty()) << "seed " << seed;
  }
}

TEST(ChangePoints, ShortSeriesAndABriefRiseThatFallsBack) {
  for (uint64_t seed = 0; seed < 5; ++seed) {
    std::mt19937_64 rng(seed);
    const auto shortSeries = noisy(rng, 20, 0.02, [](size_t i) { return i < 10 ? 1.0 : 1.2; });
    const auto cps = detectChangePoints(shortSeries);
    ASSERT_EQ(cps.size(), 1u) << "seed " << seed;
    EXPECT_TRUE(foundNear(cps, 10, 1));
    const auto rise = noisy(rng, 100, 0.02, [](size_t i) { return i >= 50 && i < 61 ? 1.17 : 1.0; });
    const auto two = detectChangePoints(rise);
    ASSERT_EQ(two.size(), 2u) << "seed " << seed;
    EXPECT_TRUE(foundNear(two, 50) && foundNear(two, 61));
    EXPECT_EQ(two[0].direction, ChangeDirection::Regression);
    EXPECT_EQ(two[1].direction, ChangeDirection::Improvement);
  }
}

TEST(ChangePoints, CorrelatedNoiseIsNotAShift) {
  // AR(1) with rho 0.6: runs of high and low points that a white-noise test would call shifts.
  int falseSeries = 0;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> noise(0, 0.02);
    std::vector<double> v(300);
    double e = 0;
    for (auto& x : v) e = 0.6 * e + noise(rng), x = 1.0 + e;
    falseSeries += !detectChangePoints(v).empty();
  }
  EXPECT_LE(falseSeries, 1);
}

TEST(ChangePoints, FalseChangePointsOnStableNoiseStayRare) {
  // 0.10 per 100 stable points is the goal; 400 series of 100 white-noise points.
  std::mt19937_64 rng(77);
  size_t found = 0;
  for (int s = 0; s < 400; ++s) found += detectChangePoints(noisy(rng, 100, 0.03, [](size_t) { return 1.0; })).size();
  EXPECT_LE(static_cast<double>(found) / 400.0, 0.10) << found << " false change points in 40,000 points";
}

TEST(ChangePoints, TheShiftsIntervalAndTheOptions) {
  std::mt19937_64 rng(3);
  const auto v = noisy(rng, 100, 0.02, [](size_t i) { return i < 50 ? 1.0 : 1.1; });
  const auto cps = detectChangePoints(v);
  ASSERT_EQ(cps.size(), 1u);
  EXPECT_LT(cps[0].shiftLow, 0.1);
  EXPECT_GT(cps[0].shiftHigh, 0.1);
  EXPECT_GT(cps[0].shiftLow, 0.05);
  EXPECT_LT(cps[0].pValue, 0.001);
  // A 10 % step is below a 20 % minimum change.
  EXPECT_TRUE(detectChangePoints(v, {0.001, 0.20}).empty());
  EXPECT_THROW(requireChangePointOptions({0.0, 0.02}), Error);
  EXPECT_THROW(requireChangePointOptions({0.001, -1}), Error);
}

TEST(Trend, DegradingOnlyWhenSignificant) {
  std::vector<double> t, v;
  std::mt19937_64 rng(1);
  std::normal_distribution<double> noise(0, 0.01);
  for (int i = 0; i < 30; ++i) {
    t.push_back(1.7e9 + i * 86400.0);
    v.push_back(1.0 + 0.01 * i + noise(rng));  // +1 % a day
  }
  const auto up = analyzeTrend(t, v);
  EXPECT_EQ(up.direction, TrendDirection::Degrading);
  EXPECT_NEAR(up.slopePerDay, 0.01, 0.002);
  EXPECT_NEAR(up.theilSenPerDay, 0.01, 0.002);
  EXPECT_GT(up.r2, 0.8);
  EXPECT_LT(up.mannKendallP, 0.001);
  std::vector<double> down(v.rbegin(), v.rend());
  EXPECT_EQ(analyzeTrend(t, down).direction, TrendDirection::Improving);
}

TEST(Trend, FlatSeriesAreStableAtTheTestsLevel) {
  // Mann-Kendall at 95 %: about 5 % of flat noisy series may show a trend; no more.
  std::mt19937_64 rng(77);
  std::normal_distribution<double> noise(0, 0.02);
  int trending = 0;
  for (int s = 0; s < 1000; ++s) {
    std::vector<double> t, flat;
    for (int i = 0; i < 30; ++i) t.push_back(i * 86400.0), flat.push_back(1.0 + noise(rng));
    if (analyzeTrend(t, flat).direction != TrendDirection::Stable) ++trending;
  }
  EXPECT_LE(trending, 65);
  EXPECT_GE(trending, 25);  // and the test is not blind either
}

TEST(Trend, NotEnoughData) {
  const auto r = analyzeTrend({1, 2}, {1, 2});
  EXPECT_FALSE(r.enoughData);
  EXPECT_EQ(r.direction, TrendDirection::NotEnoughData);
}

TEST(Trend, LongSeriesAreReducedButKeepTheSlope) {
  std::vector<double> t, v;
  for (int i = 0; i < 20000; ++i) t.push_back(i * 60.0), v.push_back(1.0 + i * 60.0 / 86400.0 * 0.02);
  const auto r = analyzeTrend(t, v);
  EXPECT_EQ(r.points, 20000u);
  EXPECT_NEAR(r.theilSenPerDay, 0.02, 1e-4);
  EXPECT_EQ(r.direction, TrendDirection::Degrading);
}

TEST(SeriesAccumulator, StaysBoundedAndKeepsAStepsPosition) {
  giflab::SeriesAccumulator s;
  std::mt19937_64 rng(4);
  std::normal_distribution<double> noise(0, 0.01);
  const size_t n = 100000, step = 61234;
  for (size_t i = 0; i < n; ++i) s.add(1.7e9 + static_cast<double>(i) * 60, (i < step ? 1.0 : 1.2) + noise(rng), 50);
  s.finish();
  EXPECT_EQ(s.records(), n);
  EXPECT_LE(s.times().size(), giflab::SeriesAccumulator::kCapacity);
  EXPECT_GT(s.binWidth(), 1u);
  EXPECT_EQ(s.firstIndex().front(), 0u);
  const auto cps = detectChangePoints(s.processingTimes());
  ASSERT_EQ(cps.size(), 1u);
  const double found = static_cast<double>(s.firstIndex()[cps[0].index]);
  EXPECT_NEAR(found, static_cast<double>(step), static_cast<double>(2 * s.binWidth()));
  EXPECT_NEAR(cps[0].after / cps[0].before, 1.2, 0.01);
}

TEST(SeriesAccumulator, ShortSeriesAreKeptAsTheyAre) {
  giflab::SeriesAccumulator s;
  for (int i = 0; i < 100; ++i) s.add(i, i * 2.0, 1);
  s.finish();
  EXPECT_EQ(s.binWidth(), 1u);
  ASSERT_EQ(s.processingTimes().size(), 100u);
  EXPECT_DOUBLE_EQ(s.processingTimes()[37], 74.0);
  EXPECT_EQ(s.firstIndex()[37], 37u);
}

TEST(SeriesAccumulator, VersionsNamedOnlyLateKeepTheirPlacesAcrossMerges) {
  // 10000 records, versions named from record 6000 on (a version_command
  // added to a long history), merged into bins of 8: the versions around a
  // bin are the records' own, and none before 6000.
  giflab::SeriesAccumulator s;
  const size_t n = 10000, namedFrom = 6000;
  for (size_t i = 0; i < n; ++i)
    s.add(1.7e9 + static_cast<double>(i), 1.0, 1.0, i >= namedFrom ? "v" + std::to_string(i) : std::string());
  s.finish();
  ASSERT_GT(s.binWidth(), 1u);
  const auto& first = s.firstIndex();
  for (size_t k = 1; k < first.size(); ++k) {
    SCOPED_TRACE(k);
    const size_t lastBefore = first[k] - 1;  // the record just before bin k
    EXPECT_EQ(s.versionBefore(k), lastBefore >= namedFrom ? "v" + std::to_string(lastBefore) : "");
    EXPECT_EQ(s.versionAfter(k), "v" + std::to_string(std::max(first[k], namedFrom)));
  }
}
