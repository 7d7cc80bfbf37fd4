#pragma once
// One monitoring cycle: measure the monitored scenarios, compare with the
// baselines, and move regressions through pending -> open -> resolved.
//
// A regression opens when two consecutive cycles find it (a one-off spike
// never alerts), or at once when even the lower bound of its confidence
// interval is 50 % or worse (critical beyond doubt).
#include <atomic>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/alert_state.hpp"
#include "common/engine.hpp"

namespace giflab {

struct AlertEvent {
  enum class Kind { Detected, Resolved } kind;
  AlertEntry entry;
  std::string timestamp;
};

struct CycleResult {
  nlohmann::json check;  // the runCheck document, or a measure-only summary
  std::vector<AlertEvent> events;
  AlertState state;
};

// Applies one check document to the alert state (pure: no I/O).
std::vector<AlertEvent> applyCheck(const nlohmann::json& check, AlertState& state);

CycleResult runMonitorCycle(Engine& engine, const std::atomic<bool>* cancel, const ProgressFn& progress);

}  // namespace giflab
