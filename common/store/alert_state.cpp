#include "common/store/alert_state.hpp"

#include <algorithm>
#include <cstdio>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/detect/budget.hpp"
#include "common/store/atomic_file.hpp"

namespace giflab {
using nlohmann::json;

void to_json(json& j, const AlertEntry& a) {
  j = {{"scenario", a.scenario}, {"metric", a.metric},   {"severity", kSeverityNames.name(a.severity)}, {"regression", a.regression},
       {"current", a.current},   {"baseline", a.baseline}, {"since", a.since}};
  if (!a.began.empty()) j["began"] = a.began;
  if (a.threshold > 0) {
    j["shift_ci"] = {a.shiftLow, a.shiftHigh};
    j["threshold"] = a.threshold;
  }
  if (a.calmCycles > 0) j["calm_cycles"] = a.calmCycles;
  if (!a.versionBefore.empty()) j["version_before"] = a.versionBefore;
  if (!a.versionAfter.empty()) j["version_after"] = a.versionAfter;
}

std::string describeRegression(const AlertEntry& a) {
  char text[128];
  if (a.threshold > 0 && a.regression < a.threshold)
    std::snprintf(text, sizeof text, "about the threshold (%.0f-%.0f %%)", std::max(0.0, a.shiftLow) * 100,
                  a.shiftHigh * 100);
  else
    std::snprintf(text, sizeof text, "%.1f %%", a.regression * 100);
  return text;
}

void from_json(const json& j, AlertEntry& a) {
  a.scenario = j.at("scenario").get<std::string>();
  a.metric = j.at("metric").get<std::string>();
  a.severity = kSeverityNames.parse(j.value("severity", "info")).value_or(Severity::Info);
  a.regression = j.value("regression", 0.0);
  a.current = j.value("current", 0.0);
  a.baseline = j.value("baseline", 0.0);
  a.since = j.value("since", "");
  a.began = j.value("began", "");
  if (j.contains("shift_ci") && j["shift_ci"].is_array() && j["shift_ci"].size() == 2) {
    a.shiftLow = j["shift_ci"][0].get<double>();
    a.shiftHigh = j["shift_ci"][1].get<double>();
  }
  a.threshold = j.value("threshold", 0.0);
  a.calmCycles = j.value("calm_cycles", 0);
  a.versionBefore = j.value("version_before", "");
  a.versionAfter = j.value("version_after", "");
}

// A check's change as [change, half width]: the window stays small on disk.
void to_json(json& j, const CheckChange& c) { j = json::array({c.change, c.halfWidth}); }
void from_json(const json& j, CheckChange& c) {
  c.change = j.at(0).get<double>();
  c.halfWidth = j.at(1).get<double>();
}

AlertState AlertStore::load() const {
  AlertState s;
  std::ifstream in(path_);
  if (!in) return s;
  std::stringstream ss;
  ss << in.rdbuf();
  const json doc = json::parse(ss.str(), nullptr, false);
  if (!doc.is_object()) return s;
  try {
    s.open = doc.value("open", json::array()).get<std::vector<AlertEntry>>();
    s.pending = doc.value("pending", json::array()).get<std::vector<AlertEntry>>();
    s.budgets = doc.value("budgets", json::array()).get<std::vector<BudgetAlert>>();
    s.lastVersions = doc.value("last_versions", json::object()).get<std::map<std::string, std::string>>();
    s.timeChanges = doc.value("time_changes", json::object()).get<std::map<std::string, std::vector<CheckChange>>>();
    if (doc.contains("machine") && doc["machine"].is_object()) {
      const json& m = doc["machine"];
      s.machine.factor = m.value("factor", 1.0);
      if (!(s.machine.factor > 0 && s.machine.factor < 1000)) s.machine.factor = 1.0;
      s.machine.since = m.value("since", "");
      s.machine.controlCurrent = m.value("control_current", 0.0);
      s.machine.controlBaseline = m.value("control_baseline", 0.0);
      s.machine.calmCycles = m.value("calm_cycles", 0);
      s.machine.pendingFactor = m.value("pending_factor", 0.0);
    }
  } catch (const json::exception&) {
    return {};
  }
  return s;
}

void AlertStore::save(const AlertState& state) const {
  ensureDirectory(path_.parent_path());
  json doc{{"open", state.open}, {"pending", state.pending}};
  if (!state.budgets.empty()) doc["budgets"] = state.budgets;
  if (!state.lastVersions.empty()) doc["last_versions"] = state.lastVersions;
  if (!state.timeChanges.empty()) doc["time_changes"] = state.timeChanges;
  if (state.machine.factor != 1.0 || state.machine.pendingFactor > 0) doc["machine"] = state.machine;
  writeFileAtomically(path_, doc.dump(2) + "\n");
}

void to_json(json& j, const BudgetAlert& b) {
  j = {{"scenario", b.scenario}, {"metric", b.metric}, {"value", b.value},
       {"budget", b.budget},     {"since", b.since},   {"text", describeHeadroom(b.metric, b.value, b.budget)}};
  if (b.calmCycles > 0) j["calm_cycles"] = b.calmCycles;
}

void from_json(const json& j, BudgetAlert& b) {
  b.scenario = j.at("scenario").get<std::string>();
  b.metric = j.at("metric").get<std::string>();
  b.value = j.value("value", 0.0);
  b.budget = j.value("budget", 0.0);
  b.since = j.value("since", "");
  b.calmCycles = j.value("calm_cycles", 0);
}

void to_json(json& j, const MachineState& m) {
  j = {{"factor", m.factor},
       {"since", m.since},
       {"control_current", m.controlCurrent},
       {"control_baseline", m.controlBaseline},
       {"calm_cycles", m.calmCycles},
       {"pending_factor", m.pendingFactor}};
}

}  // namespace giflab
