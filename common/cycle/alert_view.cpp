#include "common/cycle/alert_view.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace giflab {
using nlohmann::json;

namespace {
std::string name(Severity s) { return std::string(kSeverityNames.name(s)); }
}  // namespace

std::string versionChange(const AlertEntry& e) {
  if (e.versionBefore.empty() && e.versionAfter.empty()) return "";
  if (e.versionBefore == e.versionAfter) return ", version " + e.versionAfter + " unchanged";
  return ", version " + (e.versionBefore.empty() ? std::string("?") : e.versionBefore) + " -> " +
         (e.versionAfter.empty() ? std::string("?") : e.versionAfter);
}

json alertJson(const AlertEvent& event) {
  const AlertEntry& e = event.entry;
  json j = {{"signal", kAlertSignalNames.name(event.kind)},
            {"scenario", e.scenario},
            {"metric", e.metric},
            {"timestamp", event.timestamp}};
  if (event.kind == AlertEvent::Kind::Resolved) return j;
  j.update({{"severity", name(e.severity)},
            {"regression", e.regression},
            {"current", e.current},
            {"baseline", e.baseline},
            {"unit", unitOf(e.metric)}});
  if (e.threshold > 0) j.update({{"shift_ci", {e.shiftLow, e.shiftHigh}}, {"threshold", e.threshold}});
  if (!e.began.empty()) j["began"] = e.began;
  if (!e.versionBefore.empty()) j["version_before"] = e.versionBefore;
  if (!e.versionAfter.empty()) j["version_after"] = e.versionAfter;
  return j;
}

std::string alertText(const AlertEvent& event) {
  const AlertEntry& e = event.entry;
  if (event.kind == AlertEvent::Kind::Resolved) return e.scenario + " " + e.metric;
  const char* unit = unitOf(e.metric);
  char text[512];
  std::snprintf(text, sizeof text, "%s %s %s +%s (%g %s -> %g %s)", e.scenario.c_str(), e.metric.c_str(),
                name(e.severity).c_str(), describeRegression(e).c_str(), e.baseline, unit, e.current, unit);
  return text + versionChange(e);
}

std::string alertJournalMessage(const AlertEvent& event) {
  const AlertEntry& e = event.entry;
  if (event.kind == AlertEvent::Kind::Resolved)
    return "Performance regression resolved in " + e.scenario + ": " + e.metric + " is back within its baseline";
  return "Performance regression in " + e.scenario + ": " + e.metric + " " + describeRegression(e) +
         " worse than baseline (" + name(e.severity) + ")" + versionChange(e);
}

int alertPriority(Severity severity) {
  switch (severity) {
    case Severity::Critical: return 2;
    case Severity::Warning: return 4;
    case Severity::Info:
    case Severity::None: break;
  }
  return 6;
}

Notification alertNotification(const AlertEntry& alert) {
  const bool memory = alert.metric == kMemoryUsage;
  const char* unit = unitOf(alert.metric);
  Notification n;
  n.summary = std::string("GIF pipeline ") + (memory ? "uses more memory" : "got slower") + ": " + alert.scenario;
  char body[512];
  std::snprintf(body, sizeof body, "%s is %s worse than its baseline (%g %s, now %g %s). Severity: %s.",
                memory ? "Peak memory" : "Processing time", describeRegression(alert).c_str(), alert.baseline, unit,
                alert.current, unit, name(alert.severity).c_str());
  n.body = body;
  n.urgency = alert.severity == Severity::Critical ? 2 : alert.severity == Severity::Warning ? 1 : 0;
  return n;
}

json budgetJson(const BudgetEvent& event) {
  const BudgetAlert& b = event.alert;
  json j = {{"signal", kBudgetSignalNames.name(event.kind)},
            {"scenario", b.scenario},
            {"metric", b.metric},
            {"timestamp", event.timestamp}};
  if (event.kind == BudgetEvent::Kind::Exceeded)
    j.update({{"value", b.value}, {"budget", b.budget}, {"unit", unitOf(b.metric)}});
  return j;
}

std::string budgetText(const BudgetEvent& event) {
  const BudgetAlert& b = event.alert;
  if (event.kind == BudgetEvent::Kind::Restored) return b.scenario + " " + b.metric;
  return b.scenario + " " + b.metric + " " + describeHeadroom(b.metric, b.value, b.budget);
}

std::string budgetJournalMessage(const BudgetEvent& event) {
  const BudgetAlert& b = event.alert;
  if (event.kind == BudgetEvent::Kind::Restored)
    return "Performance budget of " + b.scenario + " " + b.metric + " holds again";
  return "Performance budget exceeded in " + b.scenario + ": " + b.metric + " " +
         describeHeadroom(b.metric, b.value, b.budget);
}

}  // namespace giflab
