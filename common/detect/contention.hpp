#pragma once
// A busy run queue: while other tasks queue for the CPUs, a scenario's runs
// wait their turn. Their wall time grows by the waits; their CPU time (user
// + system) does not, while more work of the scenario's own grows both.
// Long runs suffer it more than short ones (a new short process often ends
// within its first time slice), so the control, a few tens of milliseconds,
// hardly feels it: measured here beside two compilers, gifsicle's 0.45 s
// scenario ran 1.45x as long with the same CPU time, the control 1.00x
// (bench/neighbour-check.sh --neighbour compile).
//
// So on a check during which some task waited for a CPU at least
// kContendedCpuPressure of the time (pressure.hpp), a processing-time
// verdict of regressed or inconclusive is looked at again on CPU time: not
// regressed there, the machine made it, and the verdict is environment.
// Where the kernel gives no pressure figure, or the baseline has no CPU
// times, the verdict stands. Only scenarios that compute are looked at so
// (the machine's rule, kMinCpuShareForMachine): one that mostly waits (a
// sleep, I/O) takes little CPU time whatever its waits, so its wall time
// stays what is judged, busy machine or not. Nor are scenarios that keep
// more than one CPU busy (their baseline's CPU time above its wall time):
// the kernel's pressure figure is the whole machine's, and their own
// threads queueing for the CPUs make it, so it says nothing about others.
#include <vector>

#include "common/detect/detection.hpp"

namespace giflab {

inline constexpr double kContendedCpuPressure = 0.10;
inline constexpr const char* kCpuTime = "cpu_time";

// Judges time (the processing-time comparison, decided) against the run
// queue; cpuPressure < 0: unknown.
void judgeAgainstRunQueue(MetricComparison& time, const std::vector<double>& cpuNow,
                          const std::vector<double>& cpuBaseline, const std::vector<double>& wallBaseline,
                          double cpuPressure, const DetectionPolicy& policy);

}  // namespace giflab
