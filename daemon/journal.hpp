#pragma once
// The structured journal entry of every alert (see the contract's Journal section).
#include "common/cycle/monitor_cycle.hpp"

namespace giflab::daemon {

// MESSAGE_IDs of the catalog entries in systemd/giflab-perfd.catalog.
inline constexpr const char* kRegressionDetectedMessageId = "9d6a4c1e7f2b4b3a8e5d0c7f1a2b3c4d";
inline constexpr const char* kRegressionResolvedMessageId = "2f8e1b7c4a5d4e6f9b0a3c2d1e4f5a6b";
inline constexpr const char* kEnvironmentChangedMessageId = "5c3e8a1f6b2d4e9a8c7b0d1e2f3a4b5c";
inline constexpr const char* kBudgetExceededMessageId = "939e4c92f43b4245b5bbb843b87513f7";
inline constexpr const char* kBudgetRestoredMessageId = "bc0c02fc3a6547579671efd9b2067fbc";

void journalAlert(const AlertEvent& event);
void journalEnvironment(const EnvironmentEvent& event);
void journalBudget(const BudgetEvent& event);

}  // namespace giflab::daemon
