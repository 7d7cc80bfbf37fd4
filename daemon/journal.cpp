#include "daemon/journal.hpp"

#include <systemd/sd-journal.h>

#include <sys/uio.h>

#include <cstdio>
#include <string>
#include <vector>

#include "common/cycle/alert_view.hpp"
#include "common/detect/machine.hpp"

namespace giflab::daemon {

namespace {
// One entry of FIELD=value strings: for entries whose fields vary.
void sendFields(const std::vector<std::string>& fields) {
  std::vector<iovec> iov;
  for (const auto& f : fields) iov.push_back({const_cast<char*>(f.data()), f.size()});
  sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
}

std::string number(const char* format, double value) {
  char text[32];
  std::snprintf(text, sizeof text, format, value);
  return text;
}
}  // namespace

void journalAlert(const AlertEvent& event) {
  const auto& e = event.entry;
  const std::string message = alertJournalMessage(event);
  const std::string severity(kSeverityNames.name(e.severity));
  char regression[32];
  std::snprintf(regression, sizeof regression, "%.4f", e.regression);
  if (event.kind == AlertEvent::Kind::Detected) {
    std::vector<std::string> fields{"MESSAGE=" + message,
                                    std::string("MESSAGE_ID=") + kRegressionDetectedMessageId,
                                    "PRIORITY=" + std::to_string(alertPriority(e.severity)),
                                    "SYSLOG_IDENTIFIER=giflab-perfd",
                                    "GIFLAB_SCENARIO=" + e.scenario,
                                    "GIFLAB_METRIC=" + e.metric,
                                    "GIFLAB_SEVERITY=" + severity,
                                    std::string("GIFLAB_REGRESSION=") + regression,
                                    "GIFLAB_CURRENT=" + number("%g", e.current),
                                    "GIFLAB_BASELINE=" + number("%g", e.baseline),
                                    std::string("GIFLAB_UNIT=") + unitOf(e.metric)};
    // Which change: present when a version_command is configured.
    if (!e.versionBefore.empty()) fields.push_back("GIFLAB_VERSION_BEFORE=" + e.versionBefore);
    if (!e.versionAfter.empty()) fields.push_back("GIFLAB_VERSION_AFTER=" + e.versionAfter);
    sendFields(fields);
  } else
    sd_journal_send("MESSAGE=%s", message.c_str(), "MESSAGE_ID=%s", kRegressionResolvedMessageId, "PRIORITY=6",
                    "SYSLOG_IDENTIFIER=giflab-perfd", "GIFLAB_SCENARIO=%s", e.scenario.c_str(), "GIFLAB_METRIC=%s",
                    e.metric.c_str(), "GIFLAB_SEVERITY=%s", severity.c_str(), "GIFLAB_REGRESSION=%s", regression,
                    nullptr);
}

void journalEnvironment(const EnvironmentEvent& event) {
  const std::string message = describeMachine(event.factor, event.controlCurrent, event.controlBaseline);
  char factor[32];
  std::snprintf(factor, sizeof factor, "%.4f", event.factor);
  sd_journal_send("MESSAGE=Machine speed changed: %s", message.c_str(), "MESSAGE_ID=%s", kEnvironmentChangedMessageId,
                  "PRIORITY=5", "SYSLOG_IDENTIFIER=giflab-perfd", "GIFLAB_MACHINE_FACTOR=%s", factor,
                  "GIFLAB_CONTROL_CURRENT=%g", event.controlCurrent, "GIFLAB_CONTROL_BASELINE=%g",
                  event.controlBaseline, nullptr);
}

void journalBudget(const BudgetEvent& event) {
  const auto& b = event.alert;
  const bool exceeded = event.kind == BudgetEvent::Kind::Exceeded;
  sendFields({"MESSAGE=" + budgetJournalMessage(event),
              std::string("MESSAGE_ID=") + (exceeded ? kBudgetExceededMessageId : kBudgetRestoredMessageId),
              exceeded ? "PRIORITY=4" : "PRIORITY=6",
              "SYSLOG_IDENTIFIER=giflab-perfd",
              "GIFLAB_SCENARIO=" + b.scenario,
              "GIFLAB_METRIC=" + b.metric,
              "GIFLAB_VALUE=" + number("%g", b.value),
              "GIFLAB_BUDGET=" + number("%g", b.budget),
              std::string("GIFLAB_UNIT=") + unitOf(b.metric)});
}

}  // namespace giflab::daemon
