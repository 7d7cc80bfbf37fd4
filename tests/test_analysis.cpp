#include <gtest/gtest.h>

#include <random>

#include "common/analysis.hpp"
#include "common/series.hpp"

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
  EXPECT_EQ(cps[0].direction, "regression");
  EXPECT_NEAR(cps[0].before, 1.0, 0.02);
  EXPECT_NEAR(cps[0].after, 1.3, 0.02);
  EXPECT_NEAR(static_cast<double>(cps[1].index), 80, 1);
  EXPECT_EQ(cps[1].direction, "improvement");
}

TEST(ChangePoints, SingleOutliersAndNoiseMakeNoChange) {
  std::mt19937_64 rng(9);
  std::normal_distribution<double> noise(0, 0.03);
  int falseSeries = 0;
  for (int s = 0; s < 200; ++s) {
    std::vector<double> v;
    for (int i = 0; i < 60; ++i) v.push_back(1.0 + noise(rng));
    v[17] = 5.0;  // a spike
    v[41] = 0.2;
    if (!detectChangePoints(v).empty()) ++falseSeries;
  }
  EXPECT_LE(falseSeries, 4);  // alpha 0.01 per split, 200 series
}

TEST(ChangePoints, MinimumSegmentSize) {
  std::vector<double> v(30, 1.0);
  for (size_t i = 0; i < 3; ++i) v[i] = 2.0;  // a 3-point "segment" at the start
  EXPECT_TRUE(detectChangePoints(v).empty());
  EXPECT_TRUE(detectChangePoints({1, 2, 3}).empty());
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
  EXPECT_EQ(up.direction, "degrading");
  EXPECT_NEAR(up.slopePerDay, 0.01, 0.002);
  EXPECT_NEAR(up.theilSenPerDay, 0.01, 0.002);
  EXPECT_GT(up.r2, 0.8);
  EXPECT_LT(up.mannKendallP, 0.001);
  std::vector<double> down(v.rbegin(), v.rend());
  EXPECT_EQ(analyzeTrend(t, down).direction, "improving");
}

TEST(Trend, FlatSeriesAreStableAtTheTestsLevel) {
  // Mann-Kendall at 95 %: about 5 % of flat noisy series may show a trend; no more.
  std::mt19937_64 rng(77);
  std::normal_distribution<double> noise(0, 0.02);
  int trending = 0;
  for (int s = 0; s < 1000; ++s) {
    std::vector<double> t, flat;
    for (int i = 0; i < 30; ++i) t.push_back(i * 86400.0), flat.push_back(1.0 + noise(rng));
    if (analyzeTrend(t, flat).direction != "stable") ++trending;
  }
  EXPECT_LE(trending, 65);
  EXPECT_GE(trending, 25);  // and the test is not blind either
}

TEST(Trend, NotEnoughData) {
  const auto r = analyzeTrend({1, 2}, {1, 2});
  EXPECT_FALSE(r.enoughData);
  EXPECT_EQ(r.direction, "not enough data");
}

TEST(Trend, LongSeriesAreReducedButKeepTheSlope) {
  std::vector<double> t, v;
  for (int i = 0; i < 20000; ++i) t.push_back(i * 60.0), v.push_back(1.0 + i * 60.0 / 86400.0 * 0.02);
  const auto r = analyzeTrend(t, v);
  EXPECT_EQ(r.points, 20000u);
  EXPECT_NEAR(r.theilSenPerDay, 0.02, 1e-4);
  EXPECT_EQ(r.direction, "degrading");
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
