#pragma once
// What a check found, typed. The engine builds it; the monitor cycle, the
// alert state and the daemon's metrics read it; JSON is made from it once,
// at the edges (`ci --json`, Job.Result, the cycle's document), by to_json.
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/detect/budget.hpp"
#include "common/detect/detection.hpp"
#include "common/base/enum_names.hpp"
#include "common/detect/machine.hpp"

namespace giflab {

// Measured: recorded without a comparison (no baselines yet).
enum class ScenarioStatus { Passed, Regressed, Measured, Error };
inline constexpr EnumNames<ScenarioStatus, 4> kScenarioStatusNames{{{{ScenarioStatus::Passed, "passed"},
                                                                     {ScenarioStatus::Regressed, "regressed"},
                                                                     {ScenarioStatus::Measured, "measured"},
                                                                     {ScenarioStatus::Error, "error"}}}};

// BudgetExceeded: no regression, but a budget is exceeded (with a
// regression too the result is Regressed, and the budgets are listed apart).
enum class CheckResult { Passed, Regressed, Error, Measured, NoBaselines, BudgetExceeded };
inline constexpr EnumNames<CheckResult, 6> kCheckResultNames{{{{CheckResult::Passed, "passed"},
                                                               {CheckResult::Regressed, "regressed"},
                                                               {CheckResult::Error, "error"},
                                                               {CheckResult::Measured, "measured"},
                                                               {CheckResult::NoBaselines, "no_baselines"},
                                                               {CheckResult::BudgetExceeded, "budget_exceeded"}}}};

// A speed-up validation (`validate`): each pair and the whole.
enum class ValidationResult { Passed, Failed, Disabled };
inline constexpr EnumNames<ValidationResult, 3> kValidationResultNames{{{{ValidationResult::Passed, "passed"},
                                                                         {ValidationResult::Failed, "failed"},
                                                                         {ValidationResult::Disabled, "disabled"}}}};

struct ScenarioReport {
  std::string scenario;
  std::optional<std::string> error;  // the scenario failed: nothing else is said about it
  double processingTime = 0;         // medians of this check's runs: s, MB
  double memoryUsage = 0;
  size_t iterations = 0;                     // runs measured (the contract's `runs` too)
  std::string stopped;                       // why it measured no more (sequential.hpp: kStop*); "" when only measured
  std::optional<MetricComparison> time, memory;  // absent when only measured
  std::vector<std::string> fingerprintChanges;   // what differs from the baseline's machine
  std::optional<MachineFactor> machine;          // the control now against this baseline's
  std::string version;                           // of the code measured; "" when none is configured
  std::vector<BudgetCheck> budgets;              // this check's runs against the scenario's budget

  static ScenarioReport failed(std::string scenario, std::string error);
  ScenarioStatus status() const;
  // The comparisons made (time, then memory).
  std::vector<const MetricComparison*> metrics() const;
};

struct CheckReport {
  std::string action;  // check / gate / monitor, or the source of a measure-only run
  double threshold = 0, confidence = 0;  // 0: measured only, nothing compared
  bool failCiOnRegression = true;
  std::vector<ScenarioReport> scenarios;
  std::string timestamp;
  std::optional<MachineFactor> machine;  // the machine as a whole
  double scenariosFactor = 1;            // the scenarios' common residual slow-down (machine.hpp)
  std::optional<double> cpuPressure;     // share of the check's time some task waited for a CPU (pressure.hpp)
  std::optional<std::string> controlError;
  bool noBaselines = false;  // a monitor cycle that could only measure
  std::string message;
  std::vector<std::string> warnings;  // what went wrong without failing the check (a version command)

  CheckResult result() const;
  bool anyBudgetExceeded() const;
};

void to_json(nlohmann::json& j, const ScenarioReport& s);
void to_json(nlohmann::json& j, const CheckReport& c);

}  // namespace giflab
