// The detection evaluation's scoring code against known answers, and a fast
// seeded slice of the evaluation with asserted bounds.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/test_support.hpp"

#include "bench/eval/evaluation.hpp"

using namespace giflab::eval;

TEST(TcpdScore, MatchesTheTcpdBenchExamples) {
  // Worked by hand with TCPDBench's rules (index 0 added everywhere, margin 5).
  EXPECT_DOUBLE_EQ(tcpdF1({{"1", {10, 20}}, {"2", {11, 20}}, {"3", {10}}, {"4", {0, 5}}}, {10, 20}), 1.0);
  // P = 2/2, R = (1/1 + 2/2 + 1/2)/3 = 5/6: F = 10/11.
  EXPECT_NEAR(tcpdF1({{"1", {}}, {"2", {10}}, {"3", {50}}}, {10}), 0.9090909090909091, 1e-12);
  // P = 1, R = (1 + 1/2 + 1/2)/3 = 2/3: F = 0.8.
  EXPECT_NEAR(tcpdF1({{"1", {}}, {"2", {10}}, {"3", {50}}}, {}), 0.8, 1e-12);
  // A prediction 6 away is outside the margin: P = 1/2, R = 1/2.
  EXPECT_NEAR(tcpdF1({{"1", {20}}}, {26}), 0.5, 1e-12);
  // Each prediction matches one annotation only.
  EXPECT_NEAR(tcpdF1({{"1", {20, 22}}}, {21}), 2 * 1.0 * (2.0 / 3) / (1.0 + 2.0 / 3), 1e-12);
}

TEST(Evaluation, GithubActionBenchmarkValuesBecomeTimesInNanoseconds) {
  giflab::test::TempDir dir;
  std::filesystem::create_directories(dir / "github_action_benchmark");
  std::string entries;
  for (int i = 0; i < 20; ++i) {
    if (i) entries += ",";
    // Throughput doubles from run 10 on (twice as fast); a Catch2-style series
    // switches from us to ns; an auxiliary metric is not a time.
    entries += R"({"benches": [{"name": "fib", "value": )" + std::to_string(i < 10 ? 1000 : 2000) +
               R"(, "unit": "ops/sec"}, {"name": "loop", "value": )" + std::string(i < 10 ? "2" : "2000") +
               R"(, "unit": ")" + (i < 10 ? "us" : "ns") + R"("}, {"name": "aux", "value": 4, "unit": "auxMetricUnits"}]})";
  }
  giflab::test::writeFile(dir / "github_action_benchmark/data.json",
                          R"({"entries": {"suite": [)" + entries + "]}}");
  const auto series = loadGithubActionBenchmark(dir.path());
  ASSERT_EQ(series.size(), 2u);
  EXPECT_EQ(series[0].name, "suite/fib");
  EXPECT_DOUBLE_EQ(series[0].cycles[0][0], 1e6);   // 1000 ops/s: 1 ms per op
  EXPECT_DOUBLE_EQ(series[0].cycles[19][0], 5e5);  // faster is smaller
  EXPECT_EQ(series[1].name, "suite/loop");
  EXPECT_DOUBLE_EQ(series[1].cycles[0][0], 2000);
  EXPECT_DOUBLE_EQ(series[1].cycles[19][0], 2000);  // the same time in another unit
}

TEST(Evaluation, FastSeededSliceMeetsTheTargets) {
  const std::filesystem::path data = std::filesystem::path(GIFLAB_SOURCE_DIR) / "../shared/eval/data";
  // The real data sets ship beside the project (CI has them): without them
  // the real-data half of this test would pass by not running.
  ASSERT_TRUE(std::filesystem::is_directory(data)) << data << " is missing: the evaluation needs ../shared/eval/data";
  const Report r = evaluate(data, 0.1, 7);
  ASSERT_GT(r.gabSeries, 0u) << "no github-action-benchmark series loaded from " << data;
  ASSERT_GT(r.tcpdSeries, 0u) << "no TCPDBench series loaded from " << data;
  const auto& ours = r.simulator.at(Rule::Ours);
  EXPECT_LE(ours.falseAlarmsPer100, 1.0);
  EXPECT_GE(ours.detectionRate, 0.95);
  EXPECT_LE(ours.medianDelay, 2.0);
  for (Rule peer : {Rule::Design, Rule::ZScore}) {
    EXPECT_LT(ours.falseAlarmsPer100, r.simulator.at(peer).falseAlarmsPer100) << ruleName(peer);
    EXPECT_GT(ours.f1, r.simulator.at(peer).f1) << ruleName(peer);
    EXPECT_GE(ours.detectionRate, r.simulator.at(peer).detectionRate) << ruleName(peer);
  }
  {
    // A drifting machine (+-25 %): the control keeps false alarms near the
    // stationary figure and steps found, which the raw check cannot.
    const auto& with = r.machineDrift.at(Rule::Ours);
    const auto& without = r.machineDrift.at(Rule::OursRaw);
    EXPECT_LE(with.falseAlarmsPer100, 1.0);
    EXPECT_LT(with.falseAlarmsPer100, without.falseAlarmsPer100 / 3);
    EXPECT_GE(with.detectionRate, 0.95);
    EXPECT_GT(with.detectionRate, without.detectionRate + 0.3);
  }
  {
    // The sequential check against the fixed design on the same series:
    // far fewer runs, no more false alarms, 50 % steps in 3 runs, 10 %
    // steps still found.
    const auto& fixed = r.runsPerVerdict.at(Rule::OursFixed);
    const auto& sequential = r.runsPerVerdict.at(Rule::Ours);
    EXPECT_GE(fixed.unchanged, 5.0);
    EXPECT_LE(sequential.unchanged, 0.65 * fixed.unchanged);
    EXPECT_LE(sequential.falseAlarmsPer100, fixed.falseAlarmsPer100 + 0.1);
    EXPECT_GE(sequential.step50Within3, 0.95);
    EXPECT_LE(sequential.step50, 3.2);
    EXPECT_GE(sequential.detection10, fixed.detection10 - 0.02);
  }
  {
    // On real CI noise: within the target and below both other rules.
    EXPECT_LE(r.githubActions.at(Rule::Ours).falseAlarmsPer100, 1.0);
    EXPECT_LT(r.githubActions.at(Rule::Ours).falseAlarmsPer100, r.githubActions.at(Rule::Design).falseAlarmsPer100 / 5);
    EXPECT_LT(r.githubActions.at(Rule::Ours).falseAlarmsPer100, r.githubActions.at(Rule::ZScore).falseAlarmsPer100);
    EXPECT_LE(r.mongodb.at(Rule::Ours).falseAlarmsPer100, r.mongodb.at(Rule::ZScore).falseAlarmsPer100);
    EXPECT_GT(r.tcpd.at(Rule::Ours).f1, r.tcpd.at(Rule::Design).f1);
    EXPECT_GT(r.tcpd.at(Rule::Ours).f1, r.tcpd.at(Rule::ZScore).f1);
  }
}
