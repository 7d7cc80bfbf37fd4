#include "common/detect/level_step.hpp"

#include <cmath>

#include "common/detect/stats.hpp"

namespace giflab {

std::optional<LevelStep> levelStep(std::span<const double> runs, double threshold) {
  if (runs.size() < 2 * kMinRunsPerLevel) return std::nullopt;
  const auto split = stats::pettitt(runs, kMinRunsPerLevel);
  if (split.k < 0) return std::nullopt;
  LevelStep step;
  step.firstOfNewLevel = split.index + 1;
  step.before = stats::median(runs.first(step.firstOfNewLevel));
  step.after = stats::median(runs.subspan(step.firstOfNewLevel));
  if (!(step.before > 0) || std::fabs(step.after / step.before - 1) < kLevelStepShareOfThreshold * threshold)
    return std::nullopt;
  // Seeded with the count: the same runs always get the same answer.
  step.pValue = stats::pettittPermutationP(runs, kMinRunsPerLevel, kLevelStepPermutations, runs.size());
  if (step.pValue > kLevelStepAlpha) return std::nullopt;
  return step;
}

}  // namespace giflab
