#include "common/detect/contention.hpp"

#include "common/detect/stats.hpp"

namespace giflab {

void judgeAgainstRunQueue(MetricComparison& time, const std::vector<double>& cpuNow,
                          const std::vector<double>& cpuBaseline, const std::vector<double>& wallBaseline,
                          double cpuPressure, const DetectionPolicy& policy) {
  if (cpuPressure < kContendedCpuPressure || cpuBaseline.empty() || cpuNow.empty() || wallBaseline.empty()) return;
  if (stats::median(cpuBaseline) > stats::median(wallBaseline)) return;  // more than one CPU of its own
  if (time.verdict != Verdict::Regressed && time.verdict != Verdict::Inconclusive) return;
  MetricComparison cpu = compareMetric(kCpuTime, cpuNow, cpuBaseline, policy);
  std::vector<MetricComparison*> alone{&cpu};
  decide(alone, policy);
  time.cpuPressure = cpuPressure;
  time.cpuRelativeChange = cpu.relativeChange;
  if (cpu.verdict != Verdict::NotRegressed) return;
  time.verdict = Verdict::Environment;
  time.severity = Severity::None;
  time.waitedForCpu = true;
}

}  // namespace giflab
