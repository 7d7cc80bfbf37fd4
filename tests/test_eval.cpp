// The detection evaluation's scoring code against known answers, and a fast
// seeded slice of the evaluation with asserted bounds.
#include <gtest/gtest.h>

#include <filesystem>

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

TEST(Evaluation, FastSeededSliceMeetsTheTargets) {
  const std::filesystem::path data = std::filesystem::path(GIFLAB_SOURCE_DIR) / "../shared/eval/data";
  const Report r = evaluate(data, 0.1, 7);
  const auto& ours = r.simulator.at(Rule::Ours);
  EXPECT_LE(ours.falseAlarmsPer100, 1.0);
  EXPECT_GE(ours.detectionRate, 0.95);
  EXPECT_LE(ours.medianDelay, 2.0);
  for (Rule peer : {Rule::Design, Rule::ZScore}) {
    EXPECT_LT(ours.falseAlarmsPer100, r.simulator.at(peer).falseAlarmsPer100) << ruleName(peer);
    EXPECT_GT(ours.f1, r.simulator.at(peer).f1) << ruleName(peer);
  }
  if (r.gabSeries > 0) {
    // On real CI noise: within the target and far below the design's rule.
    // (The z-score raises fewer alarms there, and misses real level shifts:
    // see docs/detection-evaluation.md.)
    EXPECT_LE(r.githubActions.at(Rule::Ours).falseAlarmsPer100, 1.0);
    EXPECT_LT(r.githubActions.at(Rule::Ours).falseAlarmsPer100, r.githubActions.at(Rule::Design).falseAlarmsPer100 / 5);
    EXPECT_LE(r.mongodb.at(Rule::Ours).falseAlarmsPer100, r.mongodb.at(Rule::ZScore).falseAlarmsPer100);
    EXPECT_GT(r.tcpd.at(Rule::Ours).f1, r.tcpd.at(Rule::Design).f1);
    EXPECT_GT(r.tcpd.at(Rule::Ours).f1, r.tcpd.at(Rule::ZScore).f1);
  }
}
