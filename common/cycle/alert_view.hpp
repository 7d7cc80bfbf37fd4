#pragma once
// The views of one alert event. The daemon's signal, its journal entry, the
// Prometheus series, `watch` (on the bus or local) and the desktop
// notification all show the same AlertEvent; what each says is made here.
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "common/cycle/monitor_cycle.hpp"

namespace giflab {

inline constexpr EnumNames<AlertEvent::Kind, 2> kAlertSignalNames{
    {{{AlertEvent::Kind::Detected, "RegressionDetected"}, {AlertEvent::Kind::Resolved, "RegressionResolved"}}}};

// The `watch --json` line.
nlohmann::json alertJson(const AlertEvent& event);
// What follows the signal's name on a `watch` line:
// "small_gif processing_time warning +31.0 % (0.2 s -> 0.262 s)".
std::string alertText(const AlertEvent& event);
// ", version 1.2 -> 1.3" (or "unchanged": the machine or the data moved, not
// the code); "" when no version is known.
std::string versionChange(const AlertEntry& alert);
// The journal entry's MESSAGE.
std::string alertJournalMessage(const AlertEvent& event);
// syslog priority: info 6, warning 4, critical 2
int alertPriority(Severity severity);

struct Notification {
  std::string summary, body;
  uint8_t urgency;  // freedesktop: 0 low, 1 normal, 2 critical
};
Notification alertNotification(const AlertEntry& alert);

// The same views of a budget event.
inline constexpr EnumNames<BudgetEvent::Kind, 2> kBudgetSignalNames{
    {{{BudgetEvent::Kind::Exceeded, "BudgetExceeded"}, {BudgetEvent::Kind::Restored, "BudgetRestored"}}}};
nlohmann::json budgetJson(const BudgetEvent& event);
// "small_gif processing_time 0.27 s of 0.25 s, 8 % over"; restored: "small_gif processing_time".
std::string budgetText(const BudgetEvent& event);
// The journal entry's MESSAGE.
std::string budgetJournalMessage(const BudgetEvent& event);

}  // namespace giflab
