#include "common/detect/swing.hpp"

#include <cmath>
#include <vector>

#include "common/detect/stats.hpp"

namespace giflab {

double swingOf(std::span<const CheckChange> window) {
  std::vector<double> logs;
  for (const auto& c : window)
    if (c.change > -1 && std::isfinite(c.change)) logs.push_back(std::log1p(c.change));
  // The log of a relative change: a swing of +x and of 1/(1+x) - 1 weigh alike.
  return logs.size() < kMinSwingChecks ? 0 : std::expm1(1.4826 * stats::mad(logs));
}

bool swings(std::span<const CheckChange> window, double threshold, double confidence) {
  const double swing = swingOf(window);
  if (swing < kSwingShareOfThreshold * threshold) return false;
  std::vector<double> widths;
  for (const auto& c : window)
    if (std::isfinite(c.halfWidth) && c.halfWidth >= 0) widths.push_back(c.halfWidth);
  const double standardError = widths.empty() ? 0 : stats::median(widths) / stats::zForConfidence(confidence);
  return swing >= kSwingOverIntervals * standardError;
}

bool oneCycleCanTell(std::span<const CheckChange> window, double threshold, double confidence) {
  return window.size() >= kMinSwingChecks && !swings(window, threshold, confidence);
}

}  // namespace giflab
