#include "daemon/journal.hpp"

#include <systemd/sd-journal.h>

#include <cstdio>
#include <string>

#include "common/machine.hpp"

namespace giflab::daemon {

int priorityForSeverity(const std::string& severity) {
  if (severity == "critical") return 2;
  if (severity == "warning") return 4;
  return 6;
}

void journalAlert(const AlertEvent& event) {
  const auto& e = event.entry;
  char regression[32];
  std::snprintf(regression, sizeof regression, "%.4f", e.regression);
  if (event.kind == AlertEvent::Kind::Detected) {
    char message[512];
    std::snprintf(message, sizeof message, "Performance regression in %s: %s %s worse than baseline (%s)",
                  e.scenario.c_str(), e.metric.c_str(), describeRegression(e).c_str(), e.severity.c_str());
    sd_journal_send("MESSAGE=%s", message, "MESSAGE_ID=%s", kRegressionDetectedMessageId, "PRIORITY=%d",
                    priorityForSeverity(e.severity), "SYSLOG_IDENTIFIER=giflab-perfd", "GIFLAB_SCENARIO=%s",
                    e.scenario.c_str(), "GIFLAB_METRIC=%s", e.metric.c_str(), "GIFLAB_SEVERITY=%s",
                    e.severity.c_str(), "GIFLAB_REGRESSION=%s", regression, "GIFLAB_CURRENT=%g", e.current,
                    "GIFLAB_BASELINE=%g", e.baseline, nullptr);
  } else {
    sd_journal_send("MESSAGE=Performance regression resolved in %s: %s is back within its baseline",
                    e.scenario.c_str(), e.metric.c_str(), "MESSAGE_ID=%s", kRegressionResolvedMessageId,
                    "PRIORITY=6", "SYSLOG_IDENTIFIER=giflab-perfd", "GIFLAB_SCENARIO=%s", e.scenario.c_str(),
                    "GIFLAB_METRIC=%s", e.metric.c_str(), "GIFLAB_SEVERITY=%s", e.severity.c_str(),
                    "GIFLAB_REGRESSION=%s", regression, nullptr);
  }
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

}  // namespace giflab::daemon
