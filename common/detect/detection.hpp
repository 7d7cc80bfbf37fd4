#pragma once
// Check-time verdicts: current samples against a baseline's samples.
//
// The rule: regression = max(0, (current - baseline) / baseline) on medians.
// A metric is "regressed" when the change is of threshold size as far as the
// data can tell (the Hodges-Lehmann shift is at least 70 % of the threshold
// and a wide interval of it, at sizeConfidence(), reaches the threshold) AND
// a one-sided Mann-Whitney test says the current samples are larger, at a
// false-discovery rate of (1 - confidence) across every test of the same
// check (Benjamini-Hochberg). Big enough but not significant, or significant
// with a size the samples cannot settle, is "inconclusive": the caller
// measures more before deciding. Severity comes from the lower bound of the
// Hodges-Lehmann interval at the check's confidence.
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "common/base/enum_names.hpp"

namespace giflab {

inline constexpr const char* kProcessingTime = "processing_time";
inline constexpr const char* kMemoryUsage = "memory_usage";

struct DetectionPolicy {
  double threshold = 0.10;
  double confidence = 0.95;
  double minMemoryDeltaMb = 1.0;  // memory differences smaller than this never alert
};

// Environment: regressed as measured, but the control moved as much, so the
// machine explains it (see machine.hpp).
enum class Verdict { NotRegressed, Regressed, Inconclusive, Environment };
inline constexpr EnumNames<Verdict, 4> kVerdictNames{{{{Verdict::NotRegressed, "passed"},
                                                       {Verdict::Regressed, "regressed"},
                                                       {Verdict::Inconclusive, "inconclusive"},
                                                       {Verdict::Environment, "environment"}}}};

// How bad a regression is, from the lower bound of its interval: info below
// 25 %, warning below 50 %, critical. None: not a regression.
enum class Severity { None, Info, Warning, Critical };
inline constexpr EnumNames<Severity, 3> kSeverityNames{
    {{{Severity::Info, "info"}, {Severity::Warning, "warning"}, {Severity::Critical, "critical"}}}};

struct MetricComparison {
  std::string metric;
  double current = 0;   // median of the current samples
  double baseline = 0;  // median of the baseline samples
  double regression = 0;       // max(0, relative change)
  double relativeChange = 0;   // signed
  double shift = 0;                    // relative Hodges-Lehmann shift
  double shiftLow = 0, shiftHigh = 0;  // and its confidence interval
  double sizeUpper = 0;                // upper end of the wider interval the size rule uses
  double pValue = 1;           // one-sided, raw
  double pAdjusted = 1;        // after Benjamini-Hochberg
  size_t currentCount = 0, baselineCount = 0;
  Verdict verdict = Verdict::NotRegressed;
  Severity severity = Severity::None;  // set when regressed
  // Set when judged relative to the machine: the control's factor, and the
  // median and change as measured, before dividing by it.
  double machineFactor = 0;
  double rawCurrent = 0, rawRelativeChange = 0;
  // Set when looked at on CPU time on a busy machine (contention.hpp): the
  // share of the check's time some task waited for a CPU, and the change of
  // CPU time; waitedForCpu when that made the verdict environment.
  double cpuPressure = -1;
  double cpuRelativeChange = 0;
  bool waitedForCpu = false;
};

const char* unitOf(const std::string& metric);  // "s" or "MB"
Severity severityFor(double regression);
// The level of the interval that may rule a change out as below the
// threshold: five times surer than the check (0.99 for 0.95).
double sizeConfidence(double confidence);

// The statistics of one metric; the verdict is set by decide().
MetricComparison compareMetric(const std::string& metric, const std::vector<double>& current,
                               const std::vector<double>& baseline, const DetectionPolicy& policy);
// Applies the false-discovery-rate correction across all comparisons of a
// check and sets each verdict and severity.
void decide(std::vector<MetricComparison*>& comparisons, const DetectionPolicy& policy);

void to_json(nlohmann::json& j, const MetricComparison& c);

}  // namespace giflab
