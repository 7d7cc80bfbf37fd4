#pragma once
// How soon the next monitoring cycle comes. With
// performance.adaptive_interval {min, max} the monitor looks again at `min`
// while something is unsettled (a regression pending confirmation, an
// inconclusive metric, a budget the median is over but not
// yet shown to exceed, a fresh regression whose start the history cannot
// place yet), and doubles the interval after each settled cycle, up to
// `max`. Without it the interval is the fixed monitoring_interval.
#include <string>

#include "common/cycle/monitor_cycle.hpp"
#include "common/store/config.hpp"

namespace giflab {

struct Pace {
  long seconds = 0;
  std::string reason;  // "pending confirmation of small_gif/processing_time", ...
  bool operator==(const Pace&) const = default;
};

// Why a finished cycle calls for a closer look; "" when all is settled.
// minSeconds: a fresh regression counts as unplaced for five such intervals
// (five looks at min pace for the change point to show).
std::string unsettled(const CycleResult& cycle, long minSeconds);

class MonitorPace {
 public:
  explicit MonitorPace(const PerformanceSettings& settings);

  // After a cycle: the interval to the next one and why.
  Pace next(const CycleResult& cycle);
  const Pace& current() const { return current_; }

 private:
  PerformanceSettings settings_;
  Pace current_;
};

}  // namespace giflab
