#pragma once
// Open regressions, kept in <state>/alerts.json so that a restart neither
// repeats an alert nor forgets one. A regression is "pending" after its
// first regressed check and opens only when the next check confirms it.
#include <filesystem>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "common/detect/detection.hpp"
#include "common/detect/swing.hpp"

namespace giflab {

struct AlertEntry {
  std::string scenario;
  std::string metric;
  Severity severity = Severity::Info;
  double regression = 0;
  double current = 0;
  double baseline = 0;
  std::string since;  // when it was first seen (ISO-8601 UTC)
  std::string began;  // when the history's change point says it began; "" when unknown
  double shiftLow = 0, shiftHigh = 0;  // the change's confidence interval (relative)
  double threshold = 0;                // the threshold it was judged against
  int calmCycles = 0;                  // open: cycles in a row that found the metric back
  // The last version measured before the change and the first after it
  // (history records' `version`); "" when none is configured.
  std::string versionBefore, versionAfter;
};

// "12.3 %", or "about the threshold (7-13 %)" when the measured change is
// below the threshold it was opened against: what a user reads must not
// contradict what they configured.
std::string describeRegression(const AlertEntry& alert);

// The machine's speed as last announced (EnvironmentChanged): factor 1 is
// as fast as when the baselines were taken.
struct MachineState {
  double factor = 1.0;
  std::string since;                       // when this factor was announced
  double controlCurrent = 0, controlBaseline = 0;
  int calmCycles = 0;                      // cycles in a row where the machine did not move
  double pendingFactor = 0;                // a shift seen once, announced when the next cycle agrees
};

// An exceeded budget, open until the metric is back within it.
struct BudgetAlert {
  std::string scenario, metric;
  double value = 0, budget = 0;  // the median that exceeded it, and the budget
  std::string since;             // when it was first exceeded
  int calmCycles = 0;            // cycles in a row within the budget
};

struct AlertState {
  std::vector<AlertEntry> open;
  std::vector<AlertEntry> pending;
  MachineState machine;
  std::vector<BudgetAlert> budgets;
  // The version each scenario's last monitoring check measured: what came
  // before a regression the next check finds.
  std::map<std::string, std::string> lastVersions;
  // Each scenario's last time changes as its monitoring checks decided them
  // (relative, against the machine where the control applied), oldest
  // first: how far its checks swing from cycle to cycle (monitor_cycle.hpp).
  std::map<std::string, std::vector<CheckChange>> timeChanges;
};

void to_json(nlohmann::json& j, const BudgetAlert& b);
void from_json(const nlohmann::json& j, BudgetAlert& b);

void to_json(nlohmann::json& j, const MachineState& m);
void to_json(nlohmann::json& j, const CheckChange& c);
void from_json(const nlohmann::json& j, CheckChange& c);

void to_json(nlohmann::json& j, const AlertEntry& a);
void from_json(const nlohmann::json& j, AlertEntry& a);

class AlertStore {
 public:
  explicit AlertStore(const std::filesystem::path& stateDir) : path_(stateDir / "alerts.json") {}
  AlertState load() const;  // a missing or unreadable file is an empty state
  void save(const AlertState& state) const;

 private:
  std::filesystem::path path_;
};

}  // namespace giflab
