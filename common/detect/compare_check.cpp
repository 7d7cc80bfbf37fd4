#include "common/detect/compare_check.hpp"

#include "common/detect/contention.hpp"
#include "common/detect/stats.hpp"

namespace giflab {

double cpuShare(const ScenarioMeasurement& m) {
  double cpu = 0, wall = 0;
  for (const auto& r : m.samples) cpu += r.cpuUser + r.cpuSystem, wall += r.processingTime;
  return wall > 0 ? cpu / wall : 0;
}

Comparison compareWithBaselines(const std::vector<ScenarioMeasurement>& measured,
                                const std::optional<ScenarioMeasurement>& control,
                                const std::map<std::string, Baseline>& baselines, const DetectionPolicy& policy,
                                double cpuPressure) {
  const std::vector<double> controlNow = control ? control->processingTimes() : std::vector<double>{};
  Comparison out;
  std::vector<std::vector<double>> times;
  std::vector<const ScenarioMeasurement*> from;
  for (const auto& m : measured) {
    if (m.error) continue;
    const Baseline& b = baselines.at(m.scenario);
    ScenarioReport r;
    r.scenario = m.scenario;
    times.push_back(m.processingTimes());
    r.time = compareMetric(kProcessingTime, times.back(), b.processing_times, policy);
    r.memory = compareMetric(kMemoryUsage, m.memoryUsages(), b.memory_usages, policy);
    r.processingTime = r.time->current;
    r.memoryUsage = r.memory->current;
    r.iterations = m.samples.size();
    const auto machine = machineFactor(controlNow, b.control_times, policy.confidence);
    if (machine.measured) r.machine = machine;
    out.scenarios.push_back(std::move(r));
    from.push_back(&m);
  }
  std::vector<MetricComparison*> raw;
  for (auto& r : out.scenarios) raw.push_back(&*r.time), raw.push_back(&*r.memory);
  decide(raw, policy);
  // A scenario computes when it spends at least kMinCpuShareForMachine of
  // the control's share of wall time on a CPU: the control only computes,
  // and on a shared CPU both lose the same fraction.
  const double controlShare = control ? cpuShare(*control) : 1.0;
  std::vector<TimedScenario> timed;
  for (size_t i = 0; i < out.scenarios.size(); ++i) {
    auto& r = out.scenarios[i];
    const Baseline& b = baselines.at(r.scenario);
    timed.push_back({&times[i], &b.processing_times, &b.control_times, r.machine.value_or(MachineFactor{}),
                     cpuShare(*from[i]) >= kMinCpuShareForMachine * controlShare, &*r.time});
  }
  out.scenariosFactor = judgeAgainstMachine(timed, controlNow, policy);
  // Then the run queue: a slower machine, but not one the control feels.
  out.cpuPressure = cpuPressure;
  for (size_t i = 0; i < out.scenarios.size(); ++i)
    if (timed[i].computes)
      judgeAgainstRunQueue(*out.scenarios[i].time, from[i]->cpuTimes(), baselines.at(out.scenarios[i].scenario).cpu_times,
                           baselines.at(out.scenarios[i].scenario).processing_times, cpuPressure, policy);
  return out;
}

}  // namespace giflab
