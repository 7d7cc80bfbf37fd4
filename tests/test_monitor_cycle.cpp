// Alert state transitions: pending -> open -> resolved, no repeats.
#include <gtest/gtest.h>

#include "common/alert_state.hpp"
#include "common/monitor_cycle.hpp"
#include "tests/test_support.hpp"

using namespace giflab;
using nlohmann::json;

namespace {
json check(const std::string& verdict, double lower = 0.2) {
  json m = {{"metric", "processing_time"}, {"verdict", verdict}, {"regression", 0.3}, {"current", 1.3},
            {"baseline", 1.0}, {"shift_ci", {lower, 0.4}}};
  if (verdict == "regressed") m["severity"] = "info";
  json mem = {{"metric", "memory_usage"}, {"verdict", "passed"}};
  return {{"timestamp", "2026-01-01T00:00:00Z"},
          {"scenarios_tested", {{{"scenario", "s"}, {"status", "x"}, {"metrics", {m, mem}}}}}};
}
}  // namespace

TEST(MonitorCycle, ARegressionOpensOnceConfirmedAndAlertsOnce) {
  AlertState st;
  EXPECT_TRUE(applyCheck(check("regressed"), st).empty());  // first sighting: pending
  EXPECT_EQ(st.pending.size(), 1u);
  auto ev = applyCheck(check("regressed"), st);  // confirmed
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, AlertEvent::Kind::Detected);
  EXPECT_EQ(ev[0].entry.scenario, "s");
  EXPECT_EQ(ev[0].entry.metric, "processing_time");
  EXPECT_EQ(st.open.size(), 1u);
  EXPECT_TRUE(st.pending.empty());
  EXPECT_TRUE(applyCheck(check("regressed"), st).empty());  // still open: no repeat
  EXPECT_TRUE(applyCheck(check("inconclusive"), st).empty());  // undecided: stays open
  EXPECT_EQ(st.open.size(), 1u);
  ev = applyCheck(check("passed"), st);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, AlertEvent::Kind::Resolved);
  EXPECT_TRUE(st.open.empty());
}

TEST(MonitorCycle, AOneOffSpikeNeverAlerts) {
  AlertState st;
  EXPECT_TRUE(applyCheck(check("regressed"), st).empty());
  EXPECT_TRUE(applyCheck(check("passed"), st).empty());
  EXPECT_TRUE(st.pending.empty());
  EXPECT_TRUE(st.open.empty());
}

TEST(MonitorCycle, AReRunThatAgreesOpensAtOnce) {
  AlertState st;
  const auto candidates = newRegressions(check("regressed"), st);
  ASSERT_EQ(candidates, (Candidates{"s/processing_time"}));
  // The re-run disagrees: pending only.
  EXPECT_TRUE(confirmedBy(check("passed"), candidates).empty());
  // The re-run agrees: open in this cycle.
  const auto confirmed = confirmedBy(check("regressed"), candidates);
  const auto ev = applyCheck(check("regressed"), st, confirmed);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, AlertEvent::Kind::Detected);
  EXPECT_TRUE(newRegressions(check("regressed"), st).empty());  // already open: nothing to confirm
}

TEST(MonitorCycle, AConfirmedAlertReportsTheReRun) {
  // The change began during the first measurement: half its runs were slow,
  // so the first check saw a small, uncertain shift; the re-run sees it whole.
  AlertState st;
  json rerun = check("regressed", 0.9);
  rerun["scenarios_tested"][0]["metrics"][0]["severity"] = "critical";
  rerun["scenarios_tested"][0]["metrics"][0]["regression"] = 3.6;
  const auto confirmed = confirmedBy(rerun, newRegressions(check("regressed"), st));
  const auto ev = applyCheck(check("regressed"), st, confirmed);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].entry.severity, "critical");
  EXPECT_DOUBLE_EQ(ev[0].entry.regression, 3.6);
  EXPECT_DOUBLE_EQ(ev[0].entry.shiftLow, 0.9);
  EXPECT_EQ(st.open.at(0).severity, "critical");
}

TEST(MonitorCycle, CriticalBeyondDoubtOpensAtOnce) {
  AlertState st;
  const auto ev = applyCheck(check("regressed", 0.6), st);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, AlertEvent::Kind::Detected);
}

TEST(MonitorCycle, AFailedScenarioChangesNothing) {
  AlertState st;
  applyCheck(check("regressed", 0.6), st);
  json failed = {{"scenarios_tested", {{{"scenario", "s"}, {"status", "error"}, {"error", "boom"}}}}};
  EXPECT_TRUE(applyCheck(failed, st).empty());
  EXPECT_EQ(st.open.size(), 1u);
}

TEST(MonitorCycle, StateSurvivesSaveAndLoad) {
  giflab::test::TempDir dir;
  AlertState st;
  applyCheck(check("regressed", 0.6), st);
  applyCheck(json{{"timestamp", "t"}, {"scenarios_tested", {{{"scenario", "q"}, {"metrics", {{{"metric", "memory_usage"}, {"verdict", "regressed"}}}}}}}}, st);
  AlertStore(dir.path()).save(st);
  const auto back = AlertStore(dir.path()).load();
  ASSERT_EQ(back.open.size(), 1u);
  ASSERT_EQ(back.pending.size(), 1u);
  EXPECT_EQ(back.open[0].scenario, "s");
  EXPECT_EQ(back.pending[0].scenario, "q");
}

namespace {
json checkWithMachine(bool moved, double factor, const std::string& ts) {
  return {{"timestamp", ts},
          {"machine", {{"moved", moved}, {"factor", factor}, {"control", {{"current", 0.03 * factor}, {"baseline", 0.03}}}}}};
}
}  // namespace

TEST(MonitorCycle, AMachineShiftIsAnnouncedOnceConfirmedAndItsEndAfterCalmCycles) {
  MachineState m;
  EXPECT_FALSE(applyMachine(json{{"timestamp", "t0"}}, m));  // no control measured: nothing
  EXPECT_FALSE(applyMachine(checkWithMachine(false, 1.01, "t1"), m));
  // One cycle that saw a move, then none: a blip, never announced.
  EXPECT_FALSE(applyMachine(checkWithMachine(true, 1.5, "t2"), m));
  EXPECT_FALSE(applyMachine(checkWithMachine(false, 1.0, "t3"), m));
  EXPECT_DOUBLE_EQ(m.factor, 1.0);
  // Seen twice in a row: announced with the second cycle's factor.
  EXPECT_FALSE(applyMachine(checkWithMachine(true, 1.9, "t4"), m));
  auto ev = applyMachine(checkWithMachine(true, 2.0, "t5"), m);
  ASSERT_TRUE(ev);
  EXPECT_DOUBLE_EQ(ev->factor, 2.0);
  EXPECT_DOUBLE_EQ(ev->controlBaseline, 0.03);
  EXPECT_EQ(m.since, "t5");
  // The same shift wandering (within a quarter of 1.0 of it): not announced again.
  EXPECT_FALSE(applyMachine(checkWithMachine(true, 2.2, "t6"), m));
  EXPECT_FALSE(applyMachine(checkWithMachine(true, 1.8, "t7"), m));
  // A new shift, confirmed: announced.
  EXPECT_FALSE(applyMachine(checkWithMachine(true, 3.0, "t8"), m));
  ev = applyMachine(checkWithMachine(true, 3.1, "t9"), m);
  ASSERT_TRUE(ev);
  EXPECT_DOUBLE_EQ(m.factor, 3.1);
  // Calm once: not yet back; moved again: the calm count restarts; calm twice in a row: back, factor 1.
  EXPECT_FALSE(applyMachine(checkWithMachine(false, 1.0, "t10"), m));
  EXPECT_FALSE(applyMachine(checkWithMachine(true, 3.0, "t11"), m));
  EXPECT_FALSE(applyMachine(checkWithMachine(false, 1.0, "t12"), m));
  ev = applyMachine(checkWithMachine(false, 1.0, "t13"), m);
  ASSERT_TRUE(ev);
  EXPECT_DOUBLE_EQ(ev->factor, 1.0);
  EXPECT_DOUBLE_EQ(m.factor, 1.0);
}

TEST(MonitorCycle, TheAnnouncedMachineStateSurvivesARestart) {
  giflab::test::TempDir dir;
  AlertStore store(dir.path());
  AlertState s;
  s.machine = {1.4, "2026-12-02T10:00:00Z", 0.042, 0.03, 0, 0};
  store.save(s);
  const auto loaded = store.load();
  EXPECT_DOUBLE_EQ(loaded.machine.factor, 1.4);
  EXPECT_EQ(loaded.machine.since, "2026-12-02T10:00:00Z");
  EXPECT_DOUBLE_EQ(loaded.machine.controlCurrent, 0.042);
}

TEST(MonitorCycle, ARegressionThatFlapsStaysOneEpisode) {
  AlertState st;
  applyCheck(check("regressed"), st, {}, 2);
  ASSERT_EQ(applyCheck(check("regressed"), st, {}, 2).size(), 1u);  // opened
  EXPECT_TRUE(applyCheck(check("passed"), st, {}, 2).empty());       // back once: still open
  EXPECT_EQ(st.open.size(), 1u);
  EXPECT_EQ(st.open[0].calmCycles, 1);
  EXPECT_TRUE(applyCheck(check("regressed"), st, {}, 2).empty());    // over again: same episode, no new alert
  EXPECT_EQ(st.open[0].calmCycles, 0);
  EXPECT_TRUE(applyCheck(check("passed"), st, {}, 2).empty());
  EXPECT_TRUE(applyCheck(check("environment"), st, {}, 2).empty());  // over, but the machine's: neither back nor new
  EXPECT_EQ(st.open.size(), 1u);
  const auto ev = applyCheck(check("passed"), st, {}, 2);            // back twice: closed
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, AlertEvent::Kind::Resolved);
  EXPECT_TRUE(st.open.empty());
}

TEST(MonitorCycle, ASizeBelowTheThresholdIsReportedAsAboutTheThreshold) {
  AlertEntry a;
  a.regression = 0.073;
  a.shiftLow = 0.071;
  a.shiftHigh = 0.128;
  a.threshold = 0.10;
  EXPECT_EQ(describeRegression(a), "about the threshold (7-13 %)");
  a.regression = 0.30;
  EXPECT_EQ(describeRegression(a), "30.0 %");
  a.threshold = 0;  // an alert from before thresholds were kept
  a.regression = 0.073;
  EXPECT_EQ(describeRegression(a), "7.3 %");
}
