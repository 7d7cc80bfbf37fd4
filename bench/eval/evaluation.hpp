#pragma once
// The detection evaluation: our detector (the product's own check, re-run
// confirmation and change-point code) side by side with the Phase 7 design's
// rule and a Conbench-style z-score rule, on a seeded simulator and on the
// public data sets in ../shared/eval/data.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace giflab::eval {

// OursRaw: the product's check without the control (how it judged before
// machine drift was corrected), for the machine-drift table. OursFixed: the
// product's check with a fixed count of runs (iterations, and as many again
// when inconclusive), as it was before it stopped at the first settled look
// (common/detect/sequential.hpp); for the runs-per-verdict table.
enum class Rule { Ours, Design, ZScore, OursRaw, OursFixed };
const char* ruleName(Rule r);

// One series of checks: the samples of each cycle (5 iterations in the
// simulator, 1 value per run in the public data).
struct Series {
  std::string name;
  std::vector<std::vector<double>> cycles;
  std::vector<size_t> changes;  // cycles where the truth changes (labels); empty: unchanged
  std::vector<std::vector<double>> control;  // the control's runs per cycle; empty: no control
  double stepSize = 0;          // relative size of the simulated step, if any
  double cv = 0;
};

// How a series is noisy, for the simulator.
enum class Noise { LogNormal, Bimodal, Outliers, Drift };
const char* noiseName(Noise n);

struct SimSpec {
  Noise noise = Noise::LogNormal;
  double cv = 0.03;
  double step = 0;        // relative step, 0 for unchanged code
  size_t stepAt = 30;
  size_t cycles = 60;
  size_t iterations = 5;
  // The machine's speed wanders and jumps (within +-25 %), the same factor
  // for the scenario's runs and the control's in a cycle, and a wobble each
  // round shared by the round's scenario run and control runs; a control is
  // simulated beside every set of runs.
  bool machineDrift = false;
  // Within a check each round's load slows the scenario's run and the
  // control's beside it alike (log-sd); the control's own noise, each of its
  // two runs a round. The defaults are the quieter of the figures measured
  // here (bench/control-noise.sh, 2026-12-03: shared 3.9-5.1 %, the mean of
  // the control's two runs 0-2.7 %; half an hour later 6.5-10 % and 10-13 %).
  double sharedWobble = 0.03;
  double controlOwnCv = 0.02;
};
Series simulate(const SimSpec& spec, uint64_t seed);

// Online: each rule watches the series cycle by cycle. An alarm is a
// regression the rule raises (a rising edge); after each alarm the fixed
// baselines (ours, design) are rebased on the next cycles, as a user
// accepting the change would. Returns the cycles that alarmed.
struct OnlineResult {
  std::vector<size_t> alarms;
  size_t checks = 0;
  size_t remeasures = 0;  // ours: inconclusive checks measured again
  size_t runs = 0;        // ours: workload runs taken by its checks
  std::vector<size_t> checkRuns;  // ours, by cycle: runs of the cycle's check (its confirming re-run apart); 0: none
};
// slowdownsOnly: the z-score alarms on slow-downs only (it is two-sided as
// the issue defines it, and so also alarms on speed-ups).
OnlineResult runOnline(Rule rule, const Series& s, bool slowdownsOnly = false);

// Offline change points for F1: ours is the product's change-point method on
// the per-cycle medians; the other rules' points are their online alarms.
std::vector<size_t> changePoints(Rule rule, const Series& s);

// TCPDBench's F1 (margin 5, index 0 in every set, precision against the
// union of annotators, recall averaged over annotators).
double tcpdF1(const std::map<std::string, std::vector<size_t>>& annotations, std::vector<size_t> predictions,
              size_t margin = 5);

// Public data.
std::vector<Series> loadGithubActionBenchmark(const std::filesystem::path& dataDir);
std::vector<Series> loadMongodbRealSeries(const std::filesystem::path& dataDir);
struct TcpdSeries {
  Series series;
  std::map<std::string, std::vector<size_t>> annotations;
};
std::vector<TcpdSeries> loadTcpd(const std::filesystem::path& dataDir);

struct RuleScores {
  double falseAlarmsPer100 = 0;   // on unchanged code
  double detectionRate = -1;      // 10 % steps at CV <= 3 %, within 2 cycles
  double medianDelay = -1;        // cycles from the step to the alarm (1 = the step's own cycle)
  double f1 = -1;                 // on labelled change points
  size_t checks = 0, alarms = 0, remeasures = 0;
  size_t runs = 0;  // ours: workload runs its checks took (re-runs that confirm included)
};

struct Report {
  std::map<Rule, RuleScores> simulator, githubActions, mongodb, tcpd;
  std::map<Rule, std::map<std::string, double>> fprByNoise;  // simulator, per noise kind
  std::map<Rule, std::map<std::string, double>> detectionBySize;  // simulator, per step size
  size_t gabSeries = 0, gabChecks = 0, tcpdSeries = 0, simSeries = 0, seriesPerCell = 0;
  std::map<Rule, size_t> gabAlarmsNearSuiteWideShifts;
  // Machine drift (+-25 %, shared by the scenario and the control): false
  // alarms per 100 checks of unchanged code and 10 % steps at CV <= 3 %
  // caught within 2 cycles, with the control and without it.
  std::map<Rule, RuleScores> machineDrift;
  // giflab-perfd on the same drift with the noisier control of the second
  // measurement (each run 10 %, a shared wobble of 6 %).
  RuleScores machineDriftNoisyControl;
  // Runs per verdict, the fixed design (OursFixed) against the sequential
  // check (Ours), on the simulator.
  struct RunsPerVerdict {
    double unchanged = 0;         // mean runs per check, unchanged code
    double step10 = 0, step50 = 0;  // mean runs of the check at a 10 % (CV <= 3 %) and a 50 % step
    double step50Within3 = 0;     // share of 50 % steps regressed by the step's check within 3 runs
    double falseAlarmsPer100 = 0, detection10 = 0;
  };
  std::map<Rule, RunsPerVerdict> runsPerVerdict;
  double gabZScoreSlowdownsPer100 = 0;  // the z-score counting slow-downs only
};

// `scale` shrinks the simulator for the fast slice in the test suite.
Report evaluate(const std::filesystem::path& dataDir, double scale, uint64_t seed);
std::string markdown(const Report& r, const std::string& machine);

}  // namespace giflab::eval
