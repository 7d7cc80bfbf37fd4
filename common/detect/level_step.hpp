#pragma once
// A baseline's runs should scatter around one level. When the machine or
// the workload changed while they were measured (live, issue 16: a 10 ms
// scenario's baseline took four runs at 10 ms and six at 11-13.5 ms, and
// the scenario stayed at the new level for the next half hour), the
// baseline's median sits between the two levels, and every later check
// compares the new level with a blend of both: a false regression that
// stays open. So a baseline looks for one change of level in its runs and
// keeps only the runs from it, measuring more until it has enough of them.
#include <cstddef>
#include <optional>
#include <span>

namespace giflab {

// At least this many runs on each side: fewer cannot show a level.
inline constexpr size_t kMinRunsPerLevel = 3;
// Pettitt's test by permutation (stats.hpp) at this level. A false call
// costs a few more runs (the baseline measures on), not a wrong verdict.
inline constexpr double kLevelStepAlpha = 0.05;
// A step smaller than this share of the threshold cannot move a check's
// verdict much; measuring on for it would only cost runs.
inline constexpr double kLevelStepShareOfThreshold = 0.5;
inline constexpr size_t kLevelStepPermutations = 2000;

struct LevelStep {
  size_t firstOfNewLevel = 0;  // index of the first run at the new level
  double before = 0;           // medians of the runs before it and from it
  double after = 0;
  double pValue = 1;
};

// The change of level in `runs` (in the order measured), or none: none when
// there are fewer than 2 * kMinRunsPerLevel runs, when the step is not
// significant at kLevelStepAlpha, or when it is under
// kLevelStepShareOfThreshold of `threshold` (relative, 0.10 = 10 %).
std::optional<LevelStep> levelStep(std::span<const double> runs, double threshold);

}  // namespace giflab
