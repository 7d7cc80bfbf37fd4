#pragma once
// One monitoring cycle: measure the monitored scenarios, compare with the
// baselines, and move regressions through pending -> open -> resolved.
//
// A regression opens only once confirmed, so that a one-off spike never
// alerts: a metric found regressed for the first time is measured again
// within the same cycle (at once when it is over the threshold even at the
// lower end of its interval, else after a pause: confirmationPause) and
// opens when the re-run agrees,
// unless the machine is unsteady (confirmableAtOnce); otherwise it waits as
// pending and opens when the next cycle agrees. A scenario whose checks swing
// by half the threshold (swing.hpp) needs both for a sighting that may be
// under the threshold: the re-run and the next cycle. Even
// unconfirmed, it opens at once when the lower bound of its confidence
// interval is 50 % or worse (critical beyond doubt).
#include <asio/awaitable.hpp>
#include <nlohmann/json.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "common/store/alert_state.hpp"
#include "common/cycle/check_report.hpp"
#include "common/cycle/engine.hpp"
#include "common/detect/swing.hpp"

namespace giflab {

struct AlertEvent {
  enum class Kind { Detected, Resolved } kind;
  AlertEntry entry;
  std::string timestamp;
};

// The machine's speed moved (or came back, factor 1): announced once per shift.
struct EnvironmentEvent {
  double factor = 1;
  double controlCurrent = 0, controlBaseline = 0;
  std::string timestamp;
};

// A budget exceeded (once, when it first is) or restored.
struct BudgetEvent {
  enum class Kind { Exceeded, Restored } kind;
  BudgetAlert alert;
  std::string timestamp;
};

struct CycleResult {
  CheckReport check;                 // the check, or what was measured when there are no baselines
  std::optional<CheckReport> rerun;  // the re-run that looked at new regressions again
  std::vector<AlertEvent> events;
  std::optional<EnvironmentEvent> environment;
  std::vector<BudgetEvent> budgetEvents;
  AlertState state;
};

// A shift is announced when two cycles in a row see it (factors that differ
// by less than this, or than a quarter of the first one's distance from 1); the machine is announced back (factor 1) after this many calm cycles.
inline constexpr double kMachineAnnounceStep = 0.10;
inline constexpr int kMachineCalmCycles = 2;
// The cycle's document: the check, and the re-run as "confirmation_rerun".
void to_json(nlohmann::json& j, const CycleResult& r);

// Applies a check's machine summary to the announced machine state (pure).
std::optional<EnvironmentEvent> applyMachine(const CheckReport& check, MachineState& state);

// Applies a check's budget verdicts to the state (pure): an exceeded budget
// opens at once (the sign test already needs the runs to agree); it is
// restored after closeAfterCycles checks in a row with the median within it,
// or when the scenario no longer has that budget.
std::vector<BudgetEvent> applyBudgets(const CheckReport& check, AlertState& state, int closeAfterCycles = 1);

// scenario and metric
using AlertKey = std::pair<std::string, std::string>;
// Regressions a re-run should confirm.
using Candidates = std::set<AlertKey>;
// The candidates a re-run within the cycle confirmed, with the re-run's comparison.
using Confirmations = std::map<AlertKey, MetricComparison>;

// Applies one check document to the alert state (pure: no I/O).
// An open regression closes after closeAfterCycles cycles in a row find the
// metric back (performance.close_after_cycles): one that flaps around the
// threshold stays one episode instead of opening and closing again.
std::vector<AlertEvent> applyCheck(const CheckReport& check, AlertState& state,
                                   const Confirmations& confirmed = {}, int closeAfterCycles = 1);
// The metrics of a check that are regressed but neither open nor pending:
// the ones a re-run should confirm.
Candidates newRegressions(const CheckReport& check, const AlertState& state);
// How long the confirming re-run waits: none when every candidate is over
// the threshold even at the lower end of its interval; else the monitoring
// interval (under an adaptive pace its min, the pace a sighting brings it
// to), at most a minute. On a shared machine a neighbour's burst (another
// VM's, felt by one workload and not by the control) lasts seconds and slows
// a check and a re-run right after it alike; a regression stays.
std::chrono::seconds confirmationPause(const CheckReport& check, const Candidates& candidates,
                                       const PerformanceSettings& pace);
// Waits that long on the caller's executor; a cancel ends the wait at once
// (Error Cancelled).
asio::awaitable<void> pauseFor(std::chrono::seconds pause, Cancellation cancel);
// Whether a re-run right after this check may confirm its regressions: not
// on an unsteady machine (machine.hpp), whose load comes and goes within
// seconds and can make a check and its re-run err alike; the next cycle,
// an interval later, confirms them instead.
bool confirmableAtOnce(const CheckReport& check);
// The keys a re-run's check found regressed too.
Confirmations confirmedBy(const CheckReport& rerun, const Candidates& candidates);

// A scenario whose checks swing by half the threshold or more, or whose
// swing is not known yet (swing.hpp: oneCycleCanTell): its first sighting
// that may be under the threshold (its interval reaches below it) opens only
// when the re-run and the next cycle both agree; a re-run that finds it back
// ends it.
// Adds a monitoring check's time changes to each scenario's window (pure);
// an open regression's are its own, not the swing's. The check is a whole
// cycle's: the windows of scenarios it did not measure are dropped.
void noteTimeChanges(const CheckReport& check, AlertState& state);
// The candidates that need the next cycle as well as the re-run.
Candidates needingTheNextCycle(const CheckReport& check, const Candidates& candidates, const AlertState& state);
// What a re-run decides for a check's candidates (pure): the ones it
// confirms (they open now) and the sightings it ends (a swinging scenario's,
// found back). A swinging scenario's sighting the re-run agrees with is
// neither: it stays pending, and the next cycle decides.
struct RerunDecision {
  Confirmations confirmed;
  Candidates ended;
};
RerunDecision decideByRerun(const CheckReport& check, const CheckReport& rerun, const Candidates& candidates,
                            const AlertState& state);
// Forgets the pending first sightings of `ended` (pure).
void endSightings(AlertState& state, const Candidates& ended);

// Where a regression of scenario/metric came from: when it began, by the last
// upward change point of its history, and the versions on either side of
// that point; all "" when the history shows none yet (too short).
struct RegressionOrigin {
  std::string began;
  std::string versionBefore, versionAfter;
};
RegressionOrigin regressionOrigin(const Engine& engine, const std::string& scenario, const std::string& metric);

// The engine must outlive the cycle.
asio::awaitable<CycleResult> runMonitorCycle(Engine& engine, Cancellation cancel = {}, ProgressFn progress = {});

}  // namespace giflab
