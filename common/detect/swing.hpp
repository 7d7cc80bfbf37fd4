#pragma once
// How far a scenario's checks swing from cycle to cycle.
//
// A check's interval knows only the spread of its own few runs and of the
// baseline's; on a shared machine the level itself moves between cycles.
// Live (issue 16) the 16 ms and 0.17 s gifsicle scenarios swung 10-12 % from
// check to check while the 3 runs of a check spread 7-9 %, and a first
// sighting and its re-run 15 s later were slow together, then the next cycle
// found them back. A scenario whose checks swing by half the threshold or
// more cannot tell a threshold-size change from its own swing in one cycle,
// even measured twice: the monitor then asks the next cycle too
// (monitor_cycle.hpp: needingTheNextCycle).
#include <cstddef>
#include <span>

namespace giflab {

inline constexpr size_t kSwingWindow = 20;     // the last checks looked at
inline constexpr size_t kMinSwingChecks = 8;   // fewer say nothing
inline constexpr double kSwingShareOfThreshold = 0.5;
// A noisy scenario's checks swing by what their intervals already carry
// (their runs spread): only a swing beyond that is the machine's level
// moving between cycles. Live, before the three false openings of an A/A
// (a replay of its history), the scenarios swung 1.3, 1.6 and 2.2 times the
// standard error their intervals said; in the simulator, whose noise does
// not move between cycles, the rule at 1.25 costs 20 % steps at CV 10 %
// 0.950 -> 0.931 found (docs/detection-evaluation.md).
inline constexpr double kSwingOverIntervals = 1.25;

// One check's time change (relative; against the machine where the control
// applied) and its interval's half width (what its runs alone could tell).
struct CheckChange {
  double change = 0;
  double halfWidth = 0;
  bool operator==(const CheckChange&) const = default;
};

// The robust spread (1.4826 * MAD of the logs, back to a relative change) of
// a window of checks' changes, or 0 with fewer than kMinSwingChecks.
double swingOf(std::span<const CheckChange> window);
// Whether a window of checks swings: by at least kSwingShareOfThreshold of the
// threshold, and by kSwingOverIntervals times the standard error their
// intervals (at `confidence`) say, typically (the median half width / z).
bool swings(std::span<const CheckChange> window, double threshold, double confidence);
// Whether one cycle (a check and its re-run) may confirm a sighting that may
// be under the threshold: not when the window swings, nor while it is too
// short to tell (fewer than kMinSwingChecks: after the daemon starts, it
// does not know yet how this machine moves).
bool oneCycleCanTell(std::span<const CheckChange> window, double threshold, double confidence);

}  // namespace giflab
