#include "common/detect/budget.hpp"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/detect/detection.hpp"
#include "common/detect/stats.hpp"

namespace giflab {

double signTestUpperTail(size_t k, size_t n) {
  if (k == 0) return 1;
  if (k > n) return 0;
  // Summed in logs: exact for any n a check can have.
  double tail = 0;
  for (size_t i = k; i <= n; ++i)
    tail += std::exp(std::lgamma(n + 1.0) - std::lgamma(i + 1.0) - std::lgamma(n - i + 1.0) - n * std::log(2.0));
  return std::min(1.0, tail);
}

namespace {
std::optional<BudgetCheck> checkOne(const std::string& metric, std::optional<double> budget,
                                    const std::vector<double>& runs, double confidence) {
  if (!budget || runs.empty()) return std::nullopt;
  BudgetCheck c;
  c.metric = metric;
  c.budget = *budget;
  c.median = stats::median(runs);
  c.runs = runs.size();
  for (double v : runs) c.above += v > *budget;
  c.pValue = signTestUpperTail(c.above, c.runs);
  c.exceeded = c.pValue <= 1 - confidence;
  return c;
}
}  // namespace

std::vector<BudgetCheck> checkBudgets(const Budget& budget, const std::vector<double>& processingTimes,
                                      const std::vector<double>& memoryUsages, double confidence) {
  std::vector<BudgetCheck> out;
  if (auto c = checkOne(kProcessingTime, budget.processingTime, processingTimes, confidence)) out.push_back(*c);
  if (auto c = checkOne(kMemoryUsage, budget.memoryUsage, memoryUsages, confidence)) out.push_back(*c);
  return out;
}

std::string describeHeadroom(const std::string& metric, double value, double budget) {
  const char* unit = unitOf(metric);
  const double share = budget > 0 ? (budget - value) / budget : 0;
  char text[128];
  std::snprintf(text, sizeof text, "%.3g %s of %.3g %s, %.0f %% %s", value, unit, budget, unit,
                std::fabs(share) * 100, share >= 0 ? "left" : "over");
  return text;
}

void to_json(nlohmann::json& j, const BudgetCheck& b) {
  j = {{"metric", b.metric},     {"budget", b.budget}, {"median", b.median},     {"runs", b.runs},
       {"runs_above", b.above},  {"p_value", b.pValue}, {"exceeded", b.exceeded}, {"headroom", b.headroom()},
       {"text", describeHeadroom(b.metric, b.median, b.budget)}};
}

}  // namespace giflab
