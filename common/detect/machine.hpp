#pragma once
// How fast the machine runs now against when a baseline was taken, from a
// control measured both times, and a scenario's time judged relative to it.
//
// The control is a fixed workload (giflab-perf-control, or a scenario the
// config names) run interleaved with the scenarios in every baseline and
// check. Its factor f = current / baseline is a ratio of medians with an
// interval from the Hodges-Lehmann shift of the log times (so it is a ratio
// interval). The machine "moved" when the control changed significantly
// (two-sided Mann-Whitney at the check's confidence) by at least
// kMinMachineShift: that is what is announced. Whenever the control was
// measured on both sides, a CPU-bound scenario's time is judged relative to
// it (a ratio of ratios, see compareRelativeToMachine), since a machine that
// drifted by less than the announcement threshold still moves the times.
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "common/store/config.hpp"
#include "common/detect/detection.hpp"

namespace giflab {

// Below this relative change the control is not said to have moved: smaller
// machine effects are inside what the check's rule absorbs.
inline constexpr double kMinMachineShift = 0.03;
// A scenario is judged relative to the control only when its processes
// spend at least this share of its wall time on a CPU, relative to the
// control's own share (which a shared CPU lowers alike): one that mostly
// waits (I/O, sleeps) is not slowed by a busier CPU, so dividing by the
// control would invent changes.
inline constexpr double kMinCpuShareForMachine = 0.5;

// A machine is unsteady when its control's runs now spread (relative MAD)
// this many times as much as beside the baseline, and by more than
// kMinUnsteadySpread: a load that comes and goes within a check (a build
// alongside) reaches some runs and not others, so no ratio corrects it.
inline constexpr double kUnsteadySpreadRatio = 3.0;
inline constexpr double kMinUnsteadySpread = 0.03;

struct MachineFactor {
  bool measured = false;  // both control sample sets present
  bool moved = false;
  bool unsteady = false;
  double spreadNow = 0, spreadThen = 0;  // the control's relative MAD
  double factor = 1, low = 1, high = 1;  // current / baseline and its interval
  double pValue = 1;                     // two-sided
  double current = 0, baseline = 0;      // control medians, seconds
};

MachineFactor machineFactor(const std::vector<double>& controlNow, const std::vector<double>& controlThen,
                            double confidence);

// A processing-time comparison judged relative to the machine. The runs of
// a scenario and of the control are interleaved round by round, so run i of
// each saw the same machine: each scenario run is divided by its control
// run (a ratio that carries the control's own noise) and scaled by the
// baseline control's median, back to seconds. Fewer than 3 pairs on a side:
// the samples are divided by the factor (size) and by its interval's upper
// end (significance). The result keeps the raw figures beside the corrected
// ones; call decide() on it like on any other comparison.
// residual > 1 is a further slow-down that the scenarios showed together
// (commonResidualFactor): the current side is divided by it as well.
MetricComparison compareRelativeToMachine(const std::vector<double>& current, const std::vector<double>& baseline,
                                          const std::vector<double>& controlNow, const std::vector<double>& controlThen,
                                          const MachineFactor& machine, const DetectionPolicy& policy,
                                          double residual = 1);

// Load can slow the scenarios more than the control: a compiler build
// competes for memory bandwidth and caches, which gifsicle on big frames
// feels more than the control's short loops. When the control moved and
// most of (at least kMinScenariosForCommonShift) scenarios, judged relative
// to it, are still slower by a similar factor (within the threshold of
// their median), that median is the machine's too; 1 otherwise. Only while
// the control shows a busy machine: on a quiet one, every scenario slower
// together is what a slower pipeline looks like (they share gifsicle), and
// stays a regression. ratios: each scenario's corrected current / baseline.
inline constexpr size_t kMinScenariosForCommonShift = 3;
double commonResidualFactor(const std::vector<double>& ratios, bool controlMoved, double threshold);

// One scenario's processing time as the check compares it with the machine.
struct TimedScenario {
  const std::vector<double>* current;
  const std::vector<double>* baseline;
  const std::vector<double>* controlThen;  // the control's runs beside the baseline
  MachineFactor machine;                   // the control now against controlThen
  bool computes = true;  // spends enough of its time on a CPU for a busier CPU to slow it
  MetricComparison* time;  // the raw comparison, decided; becomes the final one
};
// Judges every scenario that computes and whose control was measured on
// both sides relative to the machine, in one false-discovery family, and
// with the scenarios' common residual (commonResidualFactor) when there is
// one; a raw regression that the machine explains becomes Environment.
// Returns the residual factor applied (1: none).
double judgeAgainstMachine(std::vector<TimedScenario>& scenarios, const std::vector<double>& controlNow,
                           const DetectionPolicy& policy);

// The final verdict of a time comparison given its raw and its corrected
// verdict: the corrected one, except that a raw regression (or an
// inconclusive one) that the machine explains is Environment.
Verdict machineVerdict(Verdict raw, Verdict corrected);

// The built-in control as a scenario: giflab-perf-control beside the
// measuring helper, 1 warm-up run.
Scenario builtinControl();
// The control a config asks for: performance.control.scenario, or the built-in one.
Scenario controlScenario(const Config& config);

// What a baseline records as the control that measured its control times,
// so that a control whose work changed (a new release of the built-in one,
// another scenario named) is not compared with the old one's times:
// "giflab-perf-control N" (N: kBuiltinControlRevision) or "scenario NAME".
// Revision 2: its memory part moved from page faults on 24 MB to passes
// over 4 MB, which follows what gifsicle feels much more closely.
// Revision 3: GIF-style LZW coding of 16 synthetic frames instead of
// register-only arithmetic, which the host's interference did not slow.
inline constexpr int kBuiltinControlRevision = 3;
std::string controlIdentity(const Config& config);
// Whether control times a baseline recorded under `recorded` can be compared
// with the control `current` measures now. Baselines from before the
// identity was recorded (empty) were measured by the first built-in control,
// or by the scenario a config named, which the config still names.
bool sameControl(const std::string& recorded, const std::string& current);

// "this machine runs 18 % slower than when the baselines were taken:
// control 0.210 s -> 0.248 s", or faster, or "as fast as ..." for factor 1.
std::string describeMachine(double factor, double controlCurrent, double controlBaseline);

void to_json(nlohmann::json& j, const MachineFactor& m);

}  // namespace giflab
