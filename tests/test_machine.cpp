// The machine factor and the ratio of ratios, on seeded samples whose truth
// is known: the machine slowed every workload by a factor, a scenario slowed
// on top of it, or both.
#include <gtest/gtest.h>

#include <random>

#include "common/detect/contention.hpp"
#include "common/detect/machine.hpp"
#include "common/measure/pressure.hpp"

using namespace giflab;

namespace {

std::vector<double> samples(std::mt19937_64& rng, double median, double cv, int n) {
  std::normal_distribution<double> noise(0, cv);
  std::vector<double> x(static_cast<size_t>(n));
  for (auto& v : x) v = median * (1 + noise(rng));
  return x;
}

struct Outcome {
  MachineFactor machine;
  MetricComparison raw, corrected;
  Verdict verdict;
};

// A scenario at 1.0 s and a control at 0.03 s when the baselines were taken;
// now the machine runs `machine` times slower and the scenario `own` times on top.
Outcome check(uint64_t seed, double machine, double own, double cv = 0.02, int n = 5) {
  std::mt19937_64 rng(seed);
  const DetectionPolicy policy{0.10, 0.95};
  const auto controlThen = samples(rng, 0.03, cv, n), scenarioThen = samples(rng, 1.0, cv, n);
  const auto controlNow = samples(rng, 0.03 * machine, cv, n), scenarioNow = samples(rng, machine * own, cv, n);
  Outcome o;
  o.machine = machineFactor(controlNow, controlThen, policy.confidence);
  o.raw = compareMetric(kProcessingTime, scenarioNow, scenarioThen, policy);
  o.corrected = compareRelativeToMachine(scenarioNow, scenarioThen, controlNow, controlThen, o.machine, policy);
  std::vector<MetricComparison*> raw{&o.raw}, corrected{&o.corrected};
  decide(raw, policy);
  decide(corrected, policy);
  o.verdict = machineVerdict(o.raw.verdict, o.corrected.verdict);
  return o;
}

}  // namespace

TEST(Machine, TheFactorIsTheRatioOfTheControlsMedians) {
  // Exact values: every current control run is 1.2 times a baseline run.
  const std::vector<double> then{0.030, 0.031, 0.029, 0.0305, 0.0295}, now{0.036, 0.0372, 0.0348, 0.0366, 0.0354};
  const auto m = machineFactor(now, then, 0.95);
  EXPECT_TRUE(m.measured);
  EXPECT_TRUE(m.moved);
  EXPECT_NEAR(m.factor, 1.2, 1e-9);  // the median of log-ratios of a pure scaling
  EXPECT_LE(m.low, 1.2);
  EXPECT_GE(m.high, 1.2);
  EXPECT_NEAR(m.current, 0.036, 1e-12);
  EXPECT_NEAR(m.baseline, 0.030, 1e-12);
  EXPECT_LT(m.pValue, 0.05);
  // Too few samples: not measured, no correction.
  EXPECT_FALSE(machineFactor({0.03, 0.03}, then, 0.95).measured);
}

TEST(Machine, AStableControlDoesNotMove) {
  std::mt19937_64 rng(3);
  int moved = 0;
  for (int t = 0; t < 2000; ++t) moved += machineFactor(samples(rng, 0.03, 0.02, 5), samples(rng, 0.03, 0.02, 5), 0.95).moved;
  // The exact two-sided test at 5 v 5 rejects at most 2·P(U <= 2) = 3.2 % of the time, and
  // the 3 % minimum shift removes most of those at CV 2 %.
  EXPECT_LT(moved, 2000 * 0.032);
}

TEST(Machine, AWholeMachineSlowDownIsEnvironmentNotARegression) {
  int regressed = 0, environment = 0;
  for (uint64_t seed = 0; seed < 400; ++seed) {
    const auto o = check(seed, 1.25, 1.0);
    regressed += o.verdict == Verdict::Regressed;
    environment += o.verdict == Verdict::Environment;
  }
  // Raw, nearly every check would call 25 % a regression; relative to the machine, almost none.
  EXPECT_LE(regressed, 4) << "false regressions in 400 checks of an unchanged scenario on a 25 % slower machine";
  EXPECT_GE(environment, 380);
}

TEST(Machine, AScenarioSlowerThanTheMachineIsARegressionOfItsOwnSize) {
  int regressed = 0;
  double sizes = 0;
  for (uint64_t seed = 0; seed < 400; ++seed) {
    const auto o = check(seed, 1.25, 1.30);
    if (o.verdict == Verdict::Regressed) ++regressed, sizes += o.corrected.regression;
  }
  EXPECT_GE(regressed, 396);
  EXPECT_NEAR(sizes / regressed, 0.30, 0.02) << "the corrected size is the scenario's own";
}

TEST(Machine, ASlowDownHiddenByAFasterMachineIsFound) {
  // The baseline was taken in a slow spell: now the machine is 20 % faster and
  // the scenario 25 % slower, so raw it looks unchanged.
  int regressed = 0;
  for (uint64_t seed = 0; seed < 400; ++seed) regressed += check(seed, 0.8, 1.25).verdict == Verdict::Regressed;
  EXPECT_GE(regressed, 396);
}

TEST(Machine, OnAnUnmovedMachineTheRatioStillFindsARegressionAndNoFalseOne) {
  // Judged relative to the control even when it did not move: the control's
  // noise enters the ratio, and the check must still see 30 % and not see 0 %.
  int regressed = 0, falseOnes = 0;
  for (uint64_t seed = 0; seed < 400; ++seed) {
    regressed += check(seed, 1.0, 1.3).verdict == Verdict::Regressed;
    falseOnes += check(1000 + seed, 1.0, 1.0).verdict == Verdict::Regressed;
  }
  EXPECT_GE(regressed, 396);
  EXPECT_LE(falseOnes, 8);  // at most 2 % of single checks (an alert also needs a confirmation)
}

TEST(Machine, TheCommonResidualNeedsABusyMachineAndMostScenariosTogether) {
  // Exact: the median of the ratios, when more than half lie within the threshold of it.
  EXPECT_DOUBLE_EQ(commonResidualFactor({1.18, 1.20, 1.45}, true, 0.10), 1.20);
  EXPECT_DOUBLE_EQ(commonResidualFactor({1.12, 1.20, 1.25, 1.60}, true, 0.10), (1.20 + 1.25) / 2);
  EXPECT_DOUBLE_EQ(commonResidualFactor({1.18, 1.20, 1.45}, false, 0.10), 1) << "a quiet machine explains nothing";
  EXPECT_DOUBLE_EQ(commonResidualFactor({1.18, 1.45}, true, 0.10), 1) << "two scenarios cannot outvote one";
  EXPECT_DOUBLE_EQ(commonResidualFactor({1.00, 1.20, 1.45}, true, 0.10), 1) << "no majority near the median";
  EXPECT_DOUBLE_EQ(commonResidualFactor({1.01, 1.02, 1.00}, true, 0.10), 1) << "below the least machine shift";
  EXPECT_DOUBLE_EQ(commonResidualFactor({0.80, 0.82, 0.81}, true, 0.10), 1) << "only slow-downs are explained";
}

namespace {
// Three scenarios at 1.0, 0.5 and 0.2 s and a control at 0.03 s, interleaved;
// now the control is `control` times slower, every scenario `load` times on
// top (load that weighs more on them than on the control) and the first
// `own` times on top of that.
std::vector<Verdict> threeScenarios(uint64_t seed, double control, double load, double own,
                                    std::vector<MetricComparison>* times = nullptr) {
  std::mt19937_64 rng(seed);
  const DetectionPolicy policy{0.10, 0.95};
  const double cv = 0.02;
  const auto controlThen = samples(rng, 0.03, cv, 5), controlNow = samples(rng, 0.03 * control, cv, 5);
  std::vector<std::vector<double>> then, now;
  std::vector<MetricComparison> t(3);
  for (int i = 0; i < 3; ++i) {
    const double base = std::vector<double>{1.0, 0.5, 0.2}[static_cast<size_t>(i)];
    then.push_back(samples(rng, base, cv, 5));
    now.push_back(samples(rng, base * control * load * (i == 0 ? own : 1.0), cv, 5));
  }
  const auto machine = machineFactor(controlNow, controlThen, policy.confidence);
  std::vector<MetricComparison*> raw;
  for (int i = 0; i < 3; ++i) t[size_t(i)] = compareMetric(kProcessingTime, now[size_t(i)], then[size_t(i)], policy);
  for (auto& c : t) raw.push_back(&c);
  decide(raw, policy);
  std::vector<TimedScenario> timed;
  for (size_t i = 0; i < 3; ++i) timed.push_back({&now[i], &then[i], &controlThen, machine, true, &t[i]});
  judgeAgainstMachine(timed, controlNow, policy);
  if (times) *times = t;
  return {t[0].verdict, t[1].verdict, t[2].verdict};
}
}  // namespace

TEST(Machine, LoadThatSlowsTheScenariosMoreThanTheControlIsStillTheMachine) {
  // The control 1.5 times slower, the scenarios 1.5 x 1.2: relative to the
  // control alone each is 20 % slower; together they are the machine.
  int regressed = 0, environment = 0;
  for (uint64_t seed = 0; seed < 300; ++seed)
    for (Verdict v : threeScenarios(seed, 1.5, 1.2, 1.0)) {
      regressed += v == Verdict::Regressed;
      environment += v == Verdict::Environment;
    }
  EXPECT_LE(regressed, 9) << "false regressions in 900 scenario checks";
  EXPECT_GE(environment, 880);
}

TEST(Machine, OneScenarioSlowerThanTheOthersOnABusyMachineIsARegressionOfItsOwnSize) {
  int found = 0, others = 0;
  double sizes = 0;
  for (uint64_t seed = 0; seed < 300; ++seed) {
    std::vector<MetricComparison> times;
    const auto v = threeScenarios(seed, 1.5, 1.2, 1.3, &times);
    if (v[0] == Verdict::Regressed) ++found, sizes += times[0].regression;
    others += (v[1] == Verdict::Regressed) + (v[2] == Verdict::Regressed);
  }
  EXPECT_GE(found, 294);
  EXPECT_NEAR(sizes / found, 0.30, 0.03) << "relative to the machine and the scenarios' common load";
  EXPECT_LE(others, 6);
}

TEST(Machine, EveryScenarioSlowerOnAQuietMachineIsARegression) {
  // The pipeline's shared tool got slower (every scenario runs gifsicle): the
  // control did not move, so nothing explains it away.
  int regressed = 0;
  for (uint64_t seed = 0; seed < 300; ++seed)
    for (Verdict v : threeScenarios(seed, 1.0, 1.2, 1.0)) regressed += v == Verdict::Regressed;
  EXPECT_GE(regressed, 880);
}

// The run queue (contention.hpp) and the kernel's figure for it (pressure.hpp).
TEST(RunQueue, TheCpuWaitIsTheSomeLinesTotal) {
  EXPECT_EQ(parseCpuWaitMicros("some avg10=1.83 avg60=3.15 avg300=8.86 total=6660071412\n"
                               "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"),
            6660071412LL);
  EXPECT_FALSE(parseCpuWaitMicros("full avg10=0.00 avg60=0.00 avg300=0.00 total=12\n"));
  EXPECT_FALSE(parseCpuWaitMicros("some avg10=1.83 total=\n"));
  EXPECT_FALSE(parseCpuWaitMicros(""));
  // Where the kernel has none, the window says so instead of 0.
  EXPECT_FALSE(CpuPressureWindow("/nonexistent/pressure/cpu").share());
}

namespace {
std::vector<double> around(double centre, int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(1.0, 0.01);
  std::vector<double> v;
  for (int i = 0; i < n; ++i) v.push_back(centre * noise(rng));
  return v;
}

MetricComparison decided(const std::vector<double>& now, const std::vector<double>& baseline,
                         const DetectionPolicy& policy) {
  MetricComparison m = compareMetric(kProcessingTime, now, baseline, policy);
  std::vector<MetricComparison*> one{&m};
  decide(one, policy);
  return m;
}
}  // namespace

TEST(RunQueue, WallTimeUpWithCpuTimeUnmovedOnABusyMachineIsTheMachines) {
  const DetectionPolicy policy{0.10, 0.95};
  const auto wallBase = around(0.45, 10, 1), cpuBase = around(0.44, 10, 2);
  const auto wallNow = around(0.65, 5, 3);  // 1.45x, as beside two compilers
  const auto cpuSame = around(0.44, 5, 4), cpuMore = around(0.57, 5, 5);

  MetricComparison busy = decided(wallNow, wallBase, policy);
  ASSERT_EQ(busy.verdict, Verdict::Regressed);
  judgeAgainstRunQueue(busy, cpuSame, cpuBase, wallBase, 0.45, policy);
  EXPECT_EQ(busy.verdict, Verdict::Environment);
  EXPECT_EQ(busy.severity, Severity::None);
  EXPECT_TRUE(busy.waitedForCpu);
  EXPECT_NEAR(busy.cpuRelativeChange, 0.0, 0.03);
  EXPECT_DOUBLE_EQ(busy.cpuPressure, 0.45);

  // 30 % more work on the busy machine: CPU time moved too.
  MetricComparison more = decided(wallNow, wallBase, policy);
  judgeAgainstRunQueue(more, cpuMore, cpuBase, wallBase, 0.45, policy);
  EXPECT_EQ(more.verdict, Verdict::Regressed);
  EXPECT_FALSE(more.waitedForCpu);
  EXPECT_GT(more.cpuRelativeChange, 0.2);

  // A quiet machine (pressure below kContendedCpuPressure), an unknown one,
  // or a baseline without CPU times: wall time is what is judged.
  for (const auto& [pressure, baseline] : {std::pair{0.05, cpuBase}, std::pair{-1.0, cpuBase},
                                           std::pair{0.45, std::vector<double>{}}}) {
    MetricComparison m = decided(wallNow, wallBase, policy);
    judgeAgainstRunQueue(m, cpuSame, baseline, wallBase, pressure, policy);
    EXPECT_EQ(m.verdict, Verdict::Regressed) << pressure;
    EXPECT_FALSE(m.waitedForCpu);
  }

  // A scenario that keeps two CPUs busy (CPU time twice its wall time) may
  // make the pressure itself: its wall time stays what is judged.
  MetricComparison threads = decided(wallNow, wallBase, policy);
  judgeAgainstRunQueue(threads, around(0.88, 5, 7), around(0.88, 10, 8), wallBase, 0.45, policy);
  EXPECT_EQ(threads.verdict, Verdict::Regressed);
  EXPECT_FALSE(threads.waitedForCpu);

  // A passed verdict is left alone: the run queue only explains slow-downs.
  MetricComparison fine = decided(around(0.45, 5, 6), wallBase, policy);
  ASSERT_EQ(fine.verdict, Verdict::NotRegressed);
  judgeAgainstRunQueue(fine, cpuSame, cpuBase, wallBase, 0.45, policy);
  EXPECT_EQ(fine.verdict, Verdict::NotRegressed);
  EXPECT_LT(fine.cpuPressure, 0);
}
