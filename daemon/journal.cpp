#include "daemon/journal.hpp"

#include <systemd/sd-journal.h>

#include <cstdio>
#include <string>

#include "common/cycle/alert_view.hpp"
#include "common/detect/machine.hpp"

namespace giflab::daemon {

void journalAlert(const AlertEvent& event) {
  const auto& e = event.entry;
  const std::string message = alertJournalMessage(event);
  const std::string severity(kSeverityNames.name(e.severity));
  char regression[32];
  std::snprintf(regression, sizeof regression, "%.4f", e.regression);
  if (event.kind == AlertEvent::Kind::Detected)
    sd_journal_send("MESSAGE=%s", message.c_str(), "MESSAGE_ID=%s", kRegressionDetectedMessageId, "PRIORITY=%d",
                    alertPriority(e.severity), "SYSLOG_IDENTIFIER=giflab-perfd", "GIFLAB_SCENARIO=%s",
                    e.scenario.c_str(), "GIFLAB_METRIC=%s", e.metric.c_str(), "GIFLAB_SEVERITY=%s", severity.c_str(),
                    "GIFLAB_REGRESSION=%s", regression, "GIFLAB_CURRENT=%g", e.current, "GIFLAB_BASELINE=%g",
                    e.baseline, "GIFLAB_UNIT=%s", unitOf(e.metric), nullptr);
  else
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

}  // namespace giflab::daemon
