#pragma once
// Performance budgets: absolute limits per scenario, independent of the
// baselines ("budget": {"processing_time": S, "memory_usage": MB}). A budget
// is exceeded when a check's runs show, at the check's confidence, that the
// median is above it: an exact one-sided sign test, so that one slow run
// among five never does (with five runs all five must be above it). It is
// back within budget once the median is at or below it.
#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

namespace giflab {

struct Budget {
  std::optional<double> processingTime;  // s
  std::optional<double> memoryUsage;     // MB
  bool empty() const { return !processingTime && !memoryUsage; }
};

struct BudgetCheck {
  std::string metric;
  double budget = 0;
  double median = 0;           // of this check's runs
  size_t runs = 0, above = 0;  // runs, and how many were above the budget
  double pValue = 1;           // P(at least `above` of `runs` above | the median is at the budget)
  bool exceeded = false;       // pValue <= 1 - confidence
  bool within() const { return median <= budget; }
  // Over it by the median, not (yet) shown by the sign test: more runs decide.
  bool pending() const { return !within() && !exceeded; }
  double headroom() const { return budget > 0 ? (budget - median) / budget : 0; }  // 0.16: 16 % left
};

// P(X >= k) for X ~ Binomial(n, 1/2).
double signTestUpperTail(size_t k, size_t n);

// The budgets of a scenario against one check's runs of each metric (empty
// runs: nothing checked).
std::vector<BudgetCheck> checkBudgets(const Budget& budget, const std::vector<double>& processingTimes,
                                      const std::vector<double>& memoryUsages, double confidence);

// "0.21 s of 0.25 s, 16 % left" (or "0.27 s of 0.25 s, 8 % over").
std::string describeHeadroom(const std::string& metric, double value, double budget);

void to_json(nlohmann::json& j, const BudgetCheck& b);

}  // namespace giflab
