// Alert state transitions: pending -> open -> resolved, no repeats.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "common/store/alert_state.hpp"
#include "common/cycle/monitor_cycle.hpp"
#include "common/measure/blocking.hpp"
#include "common/base/error.hpp"
#include "common/cycle/pace.hpp"
#include "common/base/timeutil.hpp"
#include "tests/test_support.hpp"

using namespace giflab;
using nlohmann::json;

namespace {
CheckReport check(Verdict verdict, double lower = 0.2) {
  MetricComparison m;
  m.metric = kProcessingTime;
  m.verdict = verdict;
  m.regression = 0.3;
  m.current = 1.3;
  m.baseline = 1.0;
  m.shiftLow = lower;
  m.shiftHigh = 0.4;
  if (verdict == Verdict::Regressed) m.severity = Severity::Info;
  MetricComparison mem;
  mem.metric = kMemoryUsage;
  ScenarioReport s;
  s.scenario = "s";
  s.time = m;
  s.memory = mem;
  CheckReport c;
  c.timestamp = "2026-01-01T00:00:00Z";
  c.threshold = 0.1;
  c.confidence = 0.95;
  c.scenarios = {s};
  return c;
}
constexpr Verdict kRegressed = Verdict::Regressed, kPassed = Verdict::NotRegressed;
}  // namespace

TEST(MonitorCycle, ARegressionOpensOnceConfirmedAndAlertsOnce) {
  AlertState st;
  EXPECT_TRUE(applyCheck(check(kRegressed), st).empty());  // first sighting: pending
  EXPECT_EQ(st.pending.size(), 1u);
  auto ev = applyCheck(check(kRegressed), st);  // confirmed
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, AlertEvent::Kind::Detected);
  EXPECT_EQ(ev[0].entry.scenario, "s");
  EXPECT_EQ(ev[0].entry.metric, "processing_time");
  EXPECT_EQ(st.open.size(), 1u);
  EXPECT_TRUE(st.pending.empty());
  EXPECT_TRUE(applyCheck(check(kRegressed), st).empty());  // still open: no repeat
  EXPECT_TRUE(applyCheck(check(Verdict::Inconclusive), st).empty());  // undecided: stays open
  EXPECT_EQ(st.open.size(), 1u);
  ev = applyCheck(check(kPassed), st);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, AlertEvent::Kind::Resolved);
  EXPECT_TRUE(st.open.empty());
}

TEST(MonitorCycle, AOneOffSpikeNeverAlerts) {
  AlertState st;
  EXPECT_TRUE(applyCheck(check(kRegressed), st).empty());
  EXPECT_TRUE(applyCheck(check(kPassed), st).empty());
  EXPECT_TRUE(st.pending.empty());
  EXPECT_TRUE(st.open.empty());
}

TEST(MonitorCycle, ASightingThatMayBeUnderTheThresholdIsMeasuredAgainAfterAPause) {
  AlertState st;
  auto every = [](long seconds, long adaptiveMin = 0) {
    PerformanceSettings p;
    p.monitoring_interval = seconds;
    p.adaptive_min = adaptiveMin, p.adaptive_max = adaptiveMin ? 3600 : 0;
    return p;
  };
  // Over the 10 % threshold even at the lower end of its interval: at once.
  const auto clear = check(kRegressed, 0.12);
  EXPECT_EQ(confirmationPause(clear, newRegressions(clear, st), every(15)).count(), 0);
  // Possibly under it (a neighbour's burst looks like this): the interval, at most a minute.
  const auto small = check(kRegressed, 0.04);
  EXPECT_EQ(confirmationPause(small, newRegressions(small, st), every(15)).count(), 15);
  EXPECT_EQ(confirmationPause(small, newRegressions(small, st), every(3600)).count(), 60);
  // Under an adaptive pace, its min: the pace a sighting brings the cycles to
  // (the fixed interval, unused then, may be an hour).
  EXPECT_EQ(confirmationPause(small, newRegressions(small, st), every(3600, 2)).count(), 2);
  EXPECT_EQ(confirmationPause(small, newRegressions(small, st), every(3600, 300)).count(), 60);
  // Only candidates count: an open regression is not measured again.
  EXPECT_EQ(confirmationPause(small, {}, every(15)).count(), 0);
}

TEST(MonitorCycle, APauseEndsAtOnceWhenTheCycleIsCancelled) {
  using namespace std::chrono_literals;
  auto pauseAMinute = [](Cancellation c) -> asio::awaitable<int> {
    co_await pauseFor(60s, c);
    co_return 0;
  };
  std::atomic<bool> interrupt{false};
  std::thread stopper([&] {
    std::this_thread::sleep_for(200ms);
    interrupt = true;
  });
  const auto started = std::chrono::steady_clock::now();
  EXPECT_THROW(runBlocking(pauseAMinute, &interrupt), Error);
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 30s) << "the cancel did not end the pause";
  // Already cancelled: it does not begin.
  auto cancelledFirst = [](Cancellation c) -> asio::awaitable<int> {
    c.request();
    co_await pauseFor(60s, c);
    co_return 0;
  };
  EXPECT_THROW(runBlocking(cancelledFirst), Error);
  // And it waits when nothing cancels it.
  auto pauseASecond = [](Cancellation c) -> asio::awaitable<int> {
    co_await pauseFor(1s, c);
    co_return 1;
  };
  const auto before = std::chrono::steady_clock::now();
  EXPECT_EQ(runBlocking(pauseASecond), 1);
  EXPECT_GE(std::chrono::steady_clock::now() - before, 1s);
}

TEST(MonitorCycle, AReRunThatAgreesOpensAtOnce) {
  AlertState st;
  const auto candidates = newRegressions(check(kRegressed), st);
  ASSERT_EQ(candidates, (Candidates{{"s", "processing_time"}}));
  // The re-run disagrees: pending only.
  EXPECT_TRUE(confirmedBy(check(kPassed), candidates).empty());
  // The re-run agrees: open in this cycle.
  const auto confirmed = confirmedBy(check(kRegressed), candidates);
  const auto ev = applyCheck(check(kRegressed), st, confirmed);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, AlertEvent::Kind::Detected);
  EXPECT_TRUE(newRegressions(check(kRegressed), st).empty());  // already open: nothing to confirm
}

TEST(MonitorCycle, OnAnUnsteadyMachineOnlyTheNextCycleConfirms) {
  CheckReport steady = check(kRegressed), unsteady = check(kRegressed);
  MachineFactor calm, bursty;
  calm.measured = bursty.measured = true;
  bursty.unsteady = true;
  steady.machine = calm;
  unsteady.machine = bursty;
  EXPECT_TRUE(confirmableAtOnce(steady));
  EXPECT_TRUE(confirmableAtOnce(check(kRegressed))) << "no control measured: nothing says unsteady";
  EXPECT_FALSE(confirmableAtOnce(unsteady));
  // Unconfirmed, the unsteady cycle's regression waits; the next cycle opens it.
  AlertState st;
  EXPECT_TRUE(applyCheck(unsteady, st).empty());
  EXPECT_EQ(st.pending.size(), 1u);
  EXPECT_EQ(applyCheck(steady, st).size(), 1u);
}

namespace {
std::vector<CheckChange> changes(const std::vector<double>& relative, double halfWidth = 0.05) {
  std::vector<CheckChange> out;
  for (double c : relative) out.push_back({c, halfWidth});
  return out;
}
}  // namespace

TEST(Swing, TheRobustSpreadOfTheLogsOfAWindowOfChanges) {
  // NumPy: log1p of [0, .1, -.1, .05, -.05, .2, -.2, 0] has median 0 and
  // MAD 0.0733017; expm1(1.4826 * MAD) = 0.1148024.
  EXPECT_NEAR(swingOf(changes({0, 0.1, -0.1, 0.05, -0.05, 0.2, -0.2, 0})), 0.1148024, 1e-6);
  // [.01, -.01, .02, -.02, 0, .01, -.01, 0]: 0.0149370.
  EXPECT_NEAR(swingOf(changes({0.01, -0.01, 0.02, -0.02, 0, 0.01, -0.01, 0})), 0.0149370, 1e-6);
  EXPECT_EQ(swingOf(changes({0, 0.3, -0.3, 0.3, -0.3, 0.3, -0.3})), 0);  // 7 checks say nothing
}

TEST(Swing, OnlyASwingBeyondWhatTheChecksIntervalsCarryCounts) {
  const std::vector<double> wide{0, 0.1, -0.1, 0.05, -0.05, 0.2, -0.2, 0};  // swings 11.5 %
  // Intervals of +-5 % (a standard error of 2.6 % at 0.95): it swings.
  EXPECT_TRUE(swings(changes(wide, 0.05), 0.10, 0.95));
  // Intervals of +-30 % (15.3 %): the runs' own noise explains the swing.
  EXPECT_FALSE(swings(changes(wide, 0.30), 0.10, 0.95));
  // 11.5 % is not half of a 30 % threshold.
  EXPECT_FALSE(swings(changes(wide, 0.05), 0.30, 0.95));
  // The boundary: a standard error of 11.48 / 1.25 = 9.18 %, half width 18.0 % at 0.95.
  EXPECT_TRUE(swings(changes(wide, 0.179), 0.10, 0.95));
  EXPECT_FALSE(swings(changes(wide, 0.181), 0.10, 0.95));
}

namespace {
// A state whose scenario "s" swung by about `swing` over the last checks
// (+-swing / 1.4826 alternating, so that 1.4826 * MAD is about swing).
AlertState swungBy(double swing) {
  AlertState st;
  for (size_t i = 0; i < kSwingWindow; ++i) {
    CheckReport c = check(kPassed);
    c.scenarios[0].time->relativeChange = (i % 2 ? swing : -swing) / 1.4826;
    noteTimeChanges(c, st);
  }
  return st;
}
}  // namespace

TEST(MonitorCycle, TheSwingWindowKeepsTheLastChecksOfScenariosWithoutAnOpenRegression) {
  AlertState st = swungBy(0.12);
  ASSERT_EQ(st.timeChanges.at("s").size(), kSwingWindow);
  // NumPy: 20 changes of +-0.12 / 1.4826 alternating: 0.1277935; their
  // intervals' half width (the check helper's) is 0.1.
  EXPECT_NEAR(swingOf(st.timeChanges.at("s")), 0.1277935, 1e-6);
  EXPECT_DOUBLE_EQ(st.timeChanges.at("s").back().halfWidth, 0.1);
  CheckReport c = check(kPassed);
  c.scenarios[0].time->relativeChange = 0.5;
  noteTimeChanges(c, st);
  EXPECT_EQ(st.timeChanges.at("s").size(), kSwingWindow);
  EXPECT_DOUBLE_EQ(st.timeChanges.at("s").back().change, 0.5);
  // An open regression's changes are the regression's.
  st.open.push_back(AlertEntry{});
  st.open.back().scenario = "s";
  st.open.back().metric = kProcessingTime;
  c.scenarios[0].time->relativeChange = 0.7;
  noteTimeChanges(c, st);
  EXPECT_DOUBLE_EQ(st.timeChanges.at("s").back().change, 0.5);
  // The window survives a restart.
  giflab::test::TempDir dir;
  AlertStore(dir.path()).save(st);
  EXPECT_EQ(AlertStore(dir.path()).load().timeChanges, st.timeChanges);
  // A scenario the cycle no longer measures takes its window with it.
  c.scenarios[0].scenario = "renamed";
  noteTimeChanges(c, st);
  EXPECT_EQ(st.timeChanges.count("s"), 0u);
  EXPECT_EQ(st.timeChanges.at("renamed").size(), 1u);
}

TEST(MonitorCycle, ASwingingScenariosBorderlineSightingNeedsTheReRunAndTheNextCycle) {
  const CheckReport borderline = check(kRegressed, 0.03);  // its interval reaches down to +3 %
  // Swinging by 12 % (as gifsicle's 16 ms scenario did live): the re-run's
  // agreement leaves it pending, the next cycle opens it.
  AlertState st = swungBy(0.12);
  auto candidates = newRegressions(borderline, st);
  ASSERT_EQ(candidates.size(), 1u);
  EXPECT_EQ(needingTheNextCycle(borderline, candidates, st), candidates);
  auto decision = decideByRerun(borderline, check(kRegressed, 0.03), candidates, st);
  EXPECT_TRUE(decision.confirmed.empty());
  EXPECT_TRUE(decision.ended.empty());
  EXPECT_TRUE(applyCheck(borderline, st, decision.confirmed).empty());
  endSightings(st, decision.ended);
  EXPECT_EQ(st.pending.size(), 1u);
  EXPECT_EQ(applyCheck(check(kRegressed, 0.03), st).size(), 1u);  // the next cycle agrees: open
  // A re-run that finds it back ends the sighting: the next cycle's
  // regression is a first sighting again, not a confirmation.
  st = swungBy(0.12);
  decision = decideByRerun(borderline, check(kPassed), candidates, st);
  EXPECT_EQ(decision.ended, candidates);
  EXPECT_TRUE(applyCheck(borderline, st, decision.confirmed).empty());
  endSightings(st, decision.ended);
  EXPECT_TRUE(st.pending.empty());
  EXPECT_TRUE(applyCheck(check(kRegressed, 0.03), st).empty());
  EXPECT_EQ(st.pending.size(), 1u);
  // An undecided re-run neither confirms nor ends it.
  st = swungBy(0.12);
  decision = decideByRerun(borderline, check(Verdict::Inconclusive, 0.03), candidates, st);
  EXPECT_TRUE(decision.confirmed.empty());
  EXPECT_TRUE(decision.ended.empty());
}

TEST(MonitorCycle, AQuietScenarioOrAClearSightingIsConfirmedByTheReRunAloneOnceItsSwingIsKnown) {
  // Swinging by 3 % (under half the 10 % threshold): the re-run opens it.
  AlertState st = swungBy(0.03);
  const CheckReport borderline = check(kRegressed, 0.03);
  auto candidates = newRegressions(borderline, st);
  EXPECT_TRUE(needingTheNextCycle(borderline, candidates, st).empty());
  EXPECT_EQ(decideByRerun(borderline, check(kRegressed), candidates, st).confirmed.size(), 1u);
  // Swinging by 12 %, but over the threshold even at the lower end of its
  // interval (+30 % from +12 %): the re-run opens it.
  st = swungBy(0.12);
  const CheckReport clear = check(kRegressed, 0.12);
  candidates = newRegressions(clear, st);
  EXPECT_TRUE(needingTheNextCycle(clear, candidates, st).empty());
  EXPECT_EQ(decideByRerun(clear, check(kRegressed), candidates, st).confirmed.size(), 1u);
  // Too few checks yet to know the swing: the next cycle too, as for a swinging one.
  AlertState fresh;
  EXPECT_EQ(needingTheNextCycle(borderline, newRegressions(borderline, fresh), fresh).size(), 1u);
  for (size_t i = 0; i + 1 < kMinSwingChecks; ++i) noteTimeChanges(check(kPassed), fresh);
  EXPECT_EQ(needingTheNextCycle(borderline, newRegressions(borderline, fresh), fresh).size(), 1u);
  noteTimeChanges(check(kPassed), fresh);  // the 8th: a window of calm checks
  EXPECT_TRUE(needingTheNextCycle(borderline, newRegressions(borderline, fresh), fresh).empty());
}

TEST(MonitorCycle, AConfirmedAlertReportsTheReRun) {
  // The change began during the first measurement: half its runs were slow,
  // so the first check saw a small, uncertain shift; the re-run sees it whole.
  AlertState st;
  CheckReport rerun = check(kRegressed, 0.9);
  rerun.scenarios[0].time->severity = Severity::Critical;
  rerun.scenarios[0].time->regression = 3.6;
  const auto confirmed = confirmedBy(rerun, newRegressions(check(kRegressed), st));
  const auto ev = applyCheck(check(kRegressed), st, confirmed);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].entry.severity, Severity::Critical);
  EXPECT_DOUBLE_EQ(ev[0].entry.regression, 3.6);
  EXPECT_DOUBLE_EQ(ev[0].entry.shiftLow, 0.9);
  EXPECT_EQ(st.open.at(0).severity, Severity::Critical);
}

TEST(MonitorCycle, CriticalBeyondDoubtOpensAtOnce) {
  AlertState st;
  const auto ev = applyCheck(check(kRegressed, 0.6), st);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, AlertEvent::Kind::Detected);
}

TEST(MonitorCycle, AFailedScenarioChangesNothing) {
  AlertState st;
  applyCheck(check(kRegressed, 0.6), st);
  CheckReport failed;
  failed.scenarios = {ScenarioReport::failed("s", "boom")};
  EXPECT_TRUE(applyCheck(failed, st).empty());
  EXPECT_EQ(st.open.size(), 1u);
}

TEST(MonitorCycle, StateSurvivesSaveAndLoad) {
  giflab::test::TempDir dir;
  AlertState st;
  applyCheck(check(kRegressed, 0.6), st);
  CheckReport memory = check(kPassed);
  memory.scenarios[0].scenario = "q";
  memory.scenarios[0].memory->verdict = Verdict::Regressed;
  applyCheck(memory, st);
  AlertStore(dir.path()).save(st);
  const auto back = AlertStore(dir.path()).load();
  ASSERT_EQ(back.open.size(), 1u);
  ASSERT_EQ(back.pending.size(), 1u);
  EXPECT_EQ(back.open[0].scenario, "s");
  EXPECT_EQ(back.pending[0].scenario, "q");
}

namespace {
CheckReport checkWithMachine(bool moved, double factor, const std::string& ts) {
  CheckReport c;
  c.timestamp = ts;
  MachineFactor m;
  m.measured = true;
  m.moved = moved;
  m.factor = factor;
  m.current = 0.03 * factor;
  m.baseline = 0.03;
  c.machine = m;
  return c;
}
}  // namespace

TEST(MonitorCycle, AMachineShiftIsAnnouncedOnceConfirmedAndItsEndAfterCalmCycles) {
  MachineState m;
  EXPECT_FALSE(applyMachine(CheckReport{}, m));  // no control measured: nothing
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
  applyCheck(check(kRegressed), st, {}, 2);
  ASSERT_EQ(applyCheck(check(kRegressed), st, {}, 2).size(), 1u);  // opened
  EXPECT_TRUE(applyCheck(check(kPassed), st, {}, 2).empty());       // back once: still open
  EXPECT_EQ(st.open.size(), 1u);
  EXPECT_EQ(st.open[0].calmCycles, 1);
  EXPECT_TRUE(applyCheck(check(kRegressed), st, {}, 2).empty());    // over again: same episode, no new alert
  EXPECT_EQ(st.open[0].calmCycles, 0);
  EXPECT_TRUE(applyCheck(check(kPassed), st, {}, 2).empty());
  EXPECT_TRUE(applyCheck(check(Verdict::Environment), st, {}, 2).empty());  // over, but the machine's: neither back nor new
  EXPECT_EQ(st.open.size(), 1u);
  const auto ev = applyCheck(check(kPassed), st, {}, 2);            // back twice: closed
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, AlertEvent::Kind::Resolved);
  EXPECT_TRUE(st.open.empty());
}

TEST(MonitorCycle, ARegressionClosesOnlyOnCyclesThatFindTheMetricClearlyBack) {
  AlertState st;
  applyCheck(check(kRegressed), st, {}, 2);
  ASSERT_EQ(applyCheck(check(kRegressed), st, {}, 2).size(), 1u);  // opened
  // Not over the 10 % threshold, but not back either: +8 %, then +5.1 %
  // (just over half the threshold). Neither counts towards closing.
  for (const double change : {0.08, 0.051}) {
    auto hovering = check(kPassed);
    hovering.scenarios[0].time->relativeChange = change;
    EXPECT_TRUE(applyCheck(hovering, st, {}, 2).empty()) << change;
    EXPECT_EQ(st.open[0].calmCycles, 0) << change;
  }
  // Half the threshold or less, twice in a row: back, and closed. A cycle
  // between that is not clearly back starts the count again.
  auto back = check(kPassed);
  back.scenarios[0].time->relativeChange = 0.05;
  EXPECT_TRUE(applyCheck(back, st, {}, 2).empty());
  EXPECT_EQ(st.open[0].calmCycles, 1);
  auto hovering = check(kPassed);
  hovering.scenarios[0].time->relativeChange = 0.08;
  EXPECT_TRUE(applyCheck(hovering, st, {}, 2).empty());
  EXPECT_EQ(st.open[0].calmCycles, 0);
  EXPECT_TRUE(applyCheck(back, st, {}, 2).empty());
  EXPECT_EQ(st.open[0].calmCycles, 1);
  back.scenarios[0].time->relativeChange = -0.03;
  const auto ev = applyCheck(back, st, {}, 2);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].kind, AlertEvent::Kind::Resolved);
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

TEST(Budgets, TheSignTestHasTheTextbookTail) {
  // P(X >= k), X ~ Binomial(n, 1/2).
  EXPECT_DOUBLE_EQ(signTestUpperTail(5, 5), 1.0 / 32);
  EXPECT_DOUBLE_EQ(signTestUpperTail(4, 5), 6.0 / 32);
  EXPECT_NEAR(signTestUpperTail(9, 10), 11.0 / 1024, 1e-12);
  EXPECT_NEAR(signTestUpperTail(8, 10), 56.0 / 1024, 1e-12);
  EXPECT_DOUBLE_EQ(signTestUpperTail(0, 7), 1.0);
  // With 5 runs at 95 %, all must be above; with 10, nine.
  const Budget b{0.05, std::nullopt};
  EXPECT_TRUE(checkBudgets(b, {0.06, 0.07, 0.08, 0.06, 0.09}, {}, 0.95)[0].exceeded);
  EXPECT_FALSE(checkBudgets(b, {0.06, 0.07, 0.01, 0.06, 0.09}, {}, 0.95)[0].exceeded);
  EXPECT_FALSE(checkBudgets(b, {0.01, 0.01, 0.2, 0.01, 0.01}, {}, 0.95)[0].exceeded);
  std::vector<double> ten(10, 0.06);
  ten[0] = 0.01;
  EXPECT_TRUE(checkBudgets(b, ten, {}, 0.95)[0].exceeded);
  ten[1] = 0.01;
  EXPECT_FALSE(checkBudgets(b, ten, {}, 0.95)[0].exceeded);
  EXPECT_EQ(describeHeadroom("processing_time", 0.21, 0.25), "0.21 s of 0.25 s, 16 % left");
  EXPECT_EQ(describeHeadroom("memory_usage", 7.5, 6), "7.5 MB of 6 MB, 25 % over");
}

TEST(Budgets, ExceededOnceRestoredAfterCalmCycles) {
  AlertState state;
  auto check = [](double median, bool exceeded) {
    CheckReport c;
    c.timestamp = "2026-12-03T00:00:00Z";
    ScenarioReport s;
    s.scenario = "a";
    BudgetCheck b;
    b.metric = "processing_time";
    b.budget = 0.05;
    b.median = median;
    b.exceeded = exceeded;
    s.budgets.push_back(b);
    c.scenarios.push_back(s);
    return c;
  };
  auto events = applyBudgets(check(0.08, true), state, 2);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, BudgetEvent::Kind::Exceeded);
  EXPECT_TRUE(applyBudgets(check(0.09, true), state, 2).empty());  // still exceeded: no repeat
  EXPECT_TRUE(applyBudgets(check(0.06, false), state, 2).empty());  // not shown over, not back either
  EXPECT_TRUE(applyBudgets(check(0.04, false), state, 2).empty());  // one calm cycle
  EXPECT_TRUE(applyBudgets(check(0.06, false), state, 2).empty());  // over again: the count restarts
  EXPECT_TRUE(applyBudgets(check(0.04, false), state, 2).empty());
  events = applyBudgets(check(0.04, false), state, 2);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, BudgetEvent::Kind::Restored);
  EXPECT_TRUE(state.budgets.empty());
  // A budget taken out of the config is restored at the next check of its scenario.
  applyBudgets(check(0.08, true), state, 2);
  CheckReport without = check(0.08, true);
  without.scenarios[0].budgets.clear();
  events = applyBudgets(without, state, 2);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, BudgetEvent::Kind::Restored);
}

TEST(Pace, DoublesWhileSettledDropsToMinWhenUnsettledAndIsFixedWithoutAdaptive) {
  PerformanceSettings fixed;
  fixed.monitoring_interval = 600;
  MonitorPace still(fixed);
  CycleResult settled;
  EXPECT_EQ(still.next(settled).seconds, 600);
  EXPECT_EQ(still.current().reason, "fixed interval");

  PerformanceSettings adaptive;
  adaptive.adaptive_min = 300;
  adaptive.adaptive_max = 3600;
  MonitorPace pace(adaptive);
  EXPECT_EQ(pace.current().seconds, 300);
  std::vector<long> seen;
  for (int i = 0; i < 5; ++i) seen.push_back(pace.next(settled).seconds);
  EXPECT_EQ(seen, (std::vector<long>{600, 1200, 2400, 3600, 3600}));
  CycleResult pending;
  AlertEntry e;
  e.scenario = "medium_gif_optimize";
  e.metric = "processing_time";
  pending.state.pending.push_back(e);
  EXPECT_EQ(pace.next(pending), (Pace{300, "pending confirmation of medium_gif_optimize/processing_time"}));
  EXPECT_EQ(pace.next(settled).seconds, 600);
  // A fresh open regression whose start is not placed yet; one placed is settled.
  CycleResult fresh;
  e.since = giflab::nowIso8601();
  fresh.state.open.push_back(e);
  EXPECT_EQ(pace.next(fresh).reason, "locating the start of medium_gif_optimize/processing_time");
  fresh.state.open[0].began = e.since;
  EXPECT_EQ(pace.next(fresh).seconds, 600);
  // A budget the median is over without it being shown yet.
  CycleResult budget;
  ScenarioReport s;
  s.scenario = "a";
  BudgetCheck b;
  b.metric = "processing_time";
  b.budget = 0.05;
  b.median = 0.06;
  s.budgets.push_back(b);
  budget.check.scenarios.push_back(s);
  EXPECT_EQ(pace.next(budget), (Pace{300, "budget of a/processing_time pending"}));
}

// The versions of an alert: the first sighting's check, and the monitor's
// check before it, whatever the clock says.
TEST(MonitorCycle, AnAlertNamesTheVersionBeforeAndTheFirstSightingsVersion) {
  AlertState st;
  auto versioned = [](Verdict v, const std::string& version) {
    CheckReport c = check(v);
    c.scenarios[0].version = version;
    return c;
  };
  applyCheck(versioned(kPassed, "1.0"), st);
  EXPECT_EQ(st.lastVersions.at("s"), "1.0");
  EXPECT_TRUE(applyCheck(versioned(kRegressed, "1.1"), st).empty());  // pending
  const auto ev = applyCheck(versioned(kRegressed, "1.2"), st);     // confirmed a cycle later
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].entry.versionBefore, "1.0");
  EXPECT_EQ(ev[0].entry.versionAfter, "1.1");
  EXPECT_EQ(st.lastVersions.at("s"), "1.2");
  // Kept across a restart.
  giflab::test::TempDir dir;
  AlertStore(dir.path()).save(st);
  EXPECT_EQ(AlertStore(dir.path()).load().lastVersions.at("s"), "1.2");
  EXPECT_EQ(AlertStore(dir.path()).load().open.at(0).versionBefore, "1.0");
}
