#include "daemon/manager.hpp"

#include "daemon/logging.hpp"
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "common/store/alert_state.hpp"
#include "common/base/error.hpp"
#include "common/store/history.hpp"
#include "common/detect/machine.hpp"
#include "common/base/version.hpp"
#include "daemon/arguments.hpp"
#include "daemon/authorizer.hpp"
#include "daemon/boundary.hpp"
#include "daemon/emit.hpp"
#include "daemon/job_work.hpp"
#include "daemon/journal.hpp"

namespace giflab::daemon {
using nlohmann::json;
namespace fs = std::filesystem;

namespace {
constexpr size_t kMaxNames = 1000;
}  // namespace

Manager::Manager(asio::io_context& io, sdbus::IConnection& connection, BusLoop& loop,
                 std::shared_ptr<Engine> engine, Hooks hooks)
    : AdaptorInterfaces(connection, bus::kManagerPath),
      loop_(loop),
      engine_(std::move(engine)),
      hooks_(std::move(hooks)),
      jobs_(io, connection, loop,
            {[this](const Job& job) { jobFinished(job); },
             [this](const Job& job, uid_t caller) {
               const std::string& group = engine_->config().performance.admin_group;
               if (caller != job.owner() && !isAdmin(caller, group))
                 throw Error(ErrorKind::AccessDenied,
                             accessDeniedMessage("cancelling job " + std::to_string(job.id()), caller, group));
             },
             [this] { statusChanged(); }}),
      schedule_(io, {[this] { submitCycle(0); },
                     [this](const std::vector<std::string>& names) { propertiesChanged(names); }}),
      pace_(engine_->config().performance),
      retentionTimer_(io) {
  alerts_ = AlertStore(engine_->stateDir()).load();
  configureMetrics(*engine_);
  registerAdaptor();
  scheduleRetention(std::chrono::minutes(1));
}

Manager::~Manager() {
  schedule_.shutDown();
  jobs_.removeAll();
  unregisterAdaptor();
}

void Manager::propertiesChanged(const std::vector<std::string>& names) {
  emitSafely("the manager's PropertiesChanged",
             [&] { emitPropertiesChangedSignal(org::giflab::Perf1::Manager_adaptor::INTERFACE_NAME, names); });
  loop_.kick();
  statusChanged();
}

void Manager::statusChanged() {
  if (hooks_.statusLine) hooks_.statusLine(statusLine());
}

std::string Manager::statusLine() const {
  std::string line = schedule_.statusLine(engine_->config().scenarios.size());
  if (!alerts_.open.empty()) line += "; " + std::to_string(alerts_.open.size()) + " open regression(s)";
  if (!jobs_.runningLine().empty()) line += "; " + jobs_.runningLine();
  return line;
}

void Manager::configureMetrics(const Engine& engine) {
  const auto& prom = engine.config().prometheus;
  if (!prom) {
    if (metrics_) logInfo("Prometheus endpoint on {} stopped", metrics_->listen());
    metrics_.reset();
    return;
  }
  if (!metrics_ || metrics_->listen() != prom->listen) {
    metrics_.reset();  // free the old address first
    metrics_ = std::make_unique<Metrics>(prom->listen);
    logInfo("Prometheus metrics on http://{}/metrics", prom->listen);
  }
  // What a stalled monitor is measured against: the longest interval it may take.
  const auto& perf = engine.config().performance;
  metrics_->setInterval(static_cast<double>(perf.adaptive_max > 0 ? perf.adaptive_max : perf.monitoring_interval));
  metrics_->setOpenRegressions(alerts_.open);
  metrics_->setMachineFactor(alerts_.machine.factor);
  metrics_->setBudgets(engine.config().scenarios);
  metrics_->setExceededBudgets(alerts_.budgets);
  refreshBaselineMetrics();
}

void Manager::refreshBaselineMetrics() {
  if (!metrics_) return;
  try {
    metrics_->setBaselines(engine_ ? engine_->listBaselines() : json::object());
  } catch (const std::exception& e) {
    logWarning("Baseline metrics not updated: {}", e.what());
  }
}

// ---- access and arguments -------------------------------------------------

uid_t Manager::requireAdmin(const std::string& action) {
  const uid_t uid = getObject().getCurrentlyProcessedMessage()->getCredsUid();
  const std::string& group = engine_->config().performance.admin_group;
  if (!isAdmin(uid, group)) throw Error(ErrorKind::AccessDenied, accessDeniedMessage(action, uid, group));
  return uid;
}

// ---- jobs and cycles ------------------------------------------------------

void Manager::jobFinished(const Job& job) {
  const std::string state(bus::kJobStateNames.name(job.state()));
  emitSafely("JobFinished", [&] { emitJobFinished(job.path(), state); });
  if (metrics_) metrics_->recordJob(job.kind(), state);
}

void Manager::shutDown(std::function<void()> whenIdle) {
  schedule_.shutDown();
  jobs_.shutDown(std::move(whenIdle));
}

// Retention also runs on every append; this covers a daemon that records
// nothing for days.
void Manager::scheduleRetention(std::chrono::steady_clock::duration delay) {
  retentionTimer_.expires_after(delay);
  retentionTimer_.async_wait([this](const asio::error_code& e) {
    if (e) return;
    try {
      const int days = engine_->config().performance.max_history_days;
      const auto removed = HistoryStore(engine_->stateDir(), days).removeExpired();
      if (removed) logInfo("Removed {} history records older than {} days", removed, days);
    } catch (const std::exception& ex) {
      logWarning("History retention cleanup failed: {}", ex.what());
    }
    scheduleRetention(std::chrono::hours(6));
  });
}

void Manager::startMonitoringIfEnabled() { schedule_.startIfEnabled(*engine_); }

sdbus::ObjectPath Manager::submitCycle(uid_t owner) {
  schedule_.cycleQueued();
  const auto started = std::chrono::steady_clock::now();
  JobQueue::Callbacks callbacks;
  callbacks.onSuccess = [this, started](const JobOutcome& o) { cycleSucceeded(*o.cycle, started); };
  callbacks.onEnd = [this, started](const std::string& failure) {
    schedule_.cycleEnded(failure, started, std::chrono::seconds(pace_.current().seconds));
  };
  return jobs_.submit("cycle", owner, engine_, cycleWork, std::move(callbacks));
}

void Manager::cycleSucceeded(const CycleResult& cycle, std::chrono::steady_clock::time_point started) {
  schedule_.cycleSucceeded(cycle.check);
  if (metrics_)
    metrics_->recordCycle(cycle.check, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  alerts_ = cycle.state;
  if (metrics_) metrics_->setOpenRegressions(alerts_.open);
  if (metrics_) metrics_->setExceededBudgets(alerts_.budgets);
  // The journal records each change of pace once.
  const Pace before = pace_.current();
  if (const Pace& now = pace_.next(cycle); !(now == before)) {
    if (now.seconds != before.seconds) logInfo("Monitoring pace: the next cycle in {} s ({})", now.seconds, now.reason);
    propertiesChanged({"NextCycleReason"});
  }
  publish(cycle.events);
  publishBudgets(cycle.budgetEvents);
  if (cycle.environment) announceEnvironment(*cycle.environment);
  propertiesChanged({"OpenRegressions"});
}

void Manager::announceEnvironment(const EnvironmentEvent& ev) {
  const std::map<std::string, sdbus::Variant> details{{"control_current", sdbus::Variant(ev.controlCurrent)},
                                                      {"control_baseline", sdbus::Variant(ev.controlBaseline)},
                                                      {"timestamp", sdbus::Variant(ev.timestamp)}};
  emitSafely("EnvironmentChanged", [&] { emitEnvironmentChanged(ev.factor, details); });
  logInfo("Environment changed: {}", describeMachine(ev.factor, ev.controlCurrent, ev.controlBaseline));
  journalEnvironment(ev);
  if (metrics_) metrics_->setMachineFactor(ev.factor);
  loop_.kick();
}

void Manager::publishBudgets(const std::vector<BudgetEvent>& events) {
  for (const auto& ev : events) {
    const auto& b = ev.alert;
    if (ev.kind == BudgetEvent::Kind::Exceeded)
      emitSafely("BudgetExceeded", [&] { emitBudgetExceeded(b.scenario, b.metric, b.value, b.budget); });
    else
      emitSafely("BudgetRestored", [&] { emitBudgetRestored(b.scenario, b.metric); });
    journalBudget(ev);  // the one log entry of the event
  }
  if (!events.empty()) loop_.kick();
}

void Manager::publish(const std::vector<AlertEvent>& events) {
  for (const auto& ev : events) {
    const auto& e = ev.entry;
    if (ev.kind == AlertEvent::Kind::Detected) {
      std::map<std::string, sdbus::Variant> details{{"current", sdbus::Variant(e.current)},
                                                    {"baseline", sdbus::Variant(e.baseline)},
                                                    {"unit", sdbus::Variant(std::string(unitOf(e.metric)))},
                                                    {"timestamp", sdbus::Variant(ev.timestamp)},
                                                    {"since", sdbus::Variant(e.since)},
                                                    {"shift_low", sdbus::Variant(e.shiftLow)},
                                                    {"shift_high", sdbus::Variant(e.shiftHigh)},
                                                    {"threshold", sdbus::Variant(e.threshold)}};
      if (!e.began.empty()) details.emplace("began", sdbus::Variant(e.began));
      if (!e.versionBefore.empty()) details.emplace("version_before", sdbus::Variant(e.versionBefore));
      if (!e.versionAfter.empty()) details.emplace("version_after", sdbus::Variant(e.versionAfter));
      emitSafely("RegressionDetected", [&] {
        emitRegressionDetected(e.scenario, e.metric, std::string(kSeverityNames.name(e.severity)), e.regression, details);
      });
    } else {
      emitSafely("RegressionResolved", [&] { emitRegressionResolved(e.scenario, e.metric); });
    }
    journalAlert(ev);  // the one log entry of the event
  }
  loop_.kick();
}

void Manager::setEngine(std::shared_ptr<Engine> engine) {
  configureMetrics(*engine);  // a bad address refuses the whole reload
  const Config before = engine_->config();
  engine_ = std::move(engine);
  pace_ = MonitorPace(engine_->config().performance);
  propertiesChanged({"Enabled", "MonitorInterval", "Scenarios", "RegressionThreshold", "ConfidenceLevel"});
  schedule_.reconfigure(before, *engine_);
}

// ---- methods --------------------------------------------------------------

namespace {
std::string stateStamp(const fs::path& dir) {
  std::string stamp;
  for (const char* f : {"history.jsonl", "baselines.json", "alerts.json"}) {
    struct stat st{};
    if (::stat((dir / f).c_str(), &st) == 0)
      stamp += std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + ":" +
               std::to_string(st.st_size) + ";";
    else
      stamp += "-;";
  }
  return stamp;
}
}  // namespace

std::string Manager::GetStatus(const bool& verbose) {
  return guarded([&] {
    const std::string line = statusLine();
    const std::string key = std::to_string(reinterpret_cast<uintptr_t>(engine_.get())) + (verbose ? "v" : "-") +
                            stateStamp(engine_->stateDir()) + line + schedule_.changeKey() + "|" +
                            pace_.current().reason + "|" + std::to_string(jobs_.changes());
    if (key == statusCache_.key) return statusCache_.answer;
    json s = engine_->status(verbose);
    s["daemon"] = "running";
    s["pid"] = ::getpid();
    s["monitor"] = schedule_.status(line);
    if (s["monitor"].contains("next_cycle")) {
      s["monitor"]["next_cycle_reason"] = pace_.current().reason;
      s["monitor"]["next_interval"] = pace_.current().seconds;
    }
    s["open_regressions"] = alerts_.open;
    // engine_->status read "machine" from alerts.json, which the cycle saved with the state in alerts_.
    if (verbose) s["pending_regressions"] = alerts_.pending;
    s["jobs"] = jobs_.list();
    statusCache_ = {key, s.dump()};
    return statusCache_.answer;
  });
}

std::string Manager::ListBaselines() {
  return guarded([&] { return engine_->listBaselines().dump(); });
}

sdbus::ObjectPath Manager::submitBaselineJob(bool update, const std::vector<std::string>& scenarios,
                                             uint32_t iterations) {
  return guarded([&] {
    const uid_t uid = requireAdmin(update ? "updating baselines" : "creating baselines");
    checkScenarioNames(*engine_, scenarios, false);
    const auto n = checkIterations(iterations);
    JobQueue::Callbacks callbacks;
    callbacks.onSuccess = [this](const JobOutcome&) { refreshBaselineMetrics(); };
    return jobs_.submit(update ? "baseline-update" : "baseline-create", uid, engine_,
                        [update, scenarios, n](std::shared_ptr<Engine> e, Cancellation c, ProgressFn p) {
                          return baselineWork(std::move(e), update, scenarios, n, std::move(c), std::move(p));
                        },
                        std::move(callbacks));
  });
}

sdbus::ObjectPath Manager::CreateBaselines(const std::vector<std::string>& scenarios, const uint32_t& iterations) {
  return submitBaselineJob(false, scenarios, iterations);
}

sdbus::ObjectPath Manager::UpdateBaselines(const std::vector<std::string>& scenarios, const uint32_t& iterations) {
  return submitBaselineJob(true, scenarios, iterations);
}

std::string Manager::ClearBaselines(const std::vector<std::string>& scenarios) {
  return guarded([&] {
    requireAdmin("clearing baselines");
    if (scenarios.size() > kMaxNames) throw Error(ErrorKind::InvalidArgument, "too many scenario names (at most 1000)");
    const json r = engine_->clearBaselines(scenarios);
    refreshBaselineMetrics();
    logInfo("Baselines cleared: {}", r["cleared"].dump());
    return r.dump();
  });
}

void Manager::StartMonitor() {
  guarded([&] {
    requireAdmin("starting the monitor");
    schedule_.start(*engine_);
  });
}

void Manager::StopMonitor() {
  guarded([&] {
    requireAdmin("stopping the monitor");
    schedule_.stop(*engine_);
  });
}

sdbus::ObjectPath Manager::RunCycle() {
  return guarded([&] {
    const uid_t uid = requireAdmin("running a monitoring cycle");
    if (schedule_.cycleInFlight())
      throw Error(ErrorKind::Busy, "a monitoring cycle is already queued or running; wait for it");
    return submitCycle(uid);
  });
}

sdbus::ObjectPath Manager::RunCi(const std::string& action, const double& threshold,
                                 const std::vector<std::string>& scenarios) {
  return guarded([&] {
    const uid_t uid = requireAdmin("running a CI check");
    const CheckOptions o = checkCiArguments(*engine_, action, threshold, scenarios);
    return jobs_.submit("ci", uid, engine_, [o](std::shared_ptr<Engine> e, Cancellation c, ProgressFn p) {
      return ciWork(std::move(e), o, std::move(c), std::move(p));
    });
  });
}

sdbus::ObjectPath Manager::Validate() {
  return guarded([&] {
    const uid_t uid = requireAdmin("running a validation");
    return jobs_.submit("validate", uid, engine_, validateWork);
  });
}

std::string Manager::GetHistory(const std::string& scenario, const std::string& metric, const uint32_t& days,
                                const bool& trend, const bool& changes) {
  return guarded([&] { return engine_->history(checkHistoryArguments(scenario, metric, days, trend, changes)).dump(); });
}

std::string Manager::GetHistoryEx(const std::string& scenario, const std::string& metric, const uint32_t& days,
                                  const bool& trend, const bool& changes,
                                  const std::map<std::string, sdbus::Variant>& options) {
  return guarded([&] {
    HistoryQuery q = checkHistoryArguments(scenario, metric, days, trend, changes);
    std::map<std::string, double> numbers;
    std::map<std::string, std::string> texts;
    for (const auto& [key, value] : options) {
      if (value.peekValueType() == "s") texts[key] = value.get<std::string>();
      else if (value.peekValueType() == "d") numbers[key] = value.get<double>();
      else
        throw Error(ErrorKind::InvalidArgument,
                    "history option \"" + shortened(key) + "\" must be a double (d) or, for version and environment, a string (s)");
    }
    applyHistoryOptions(q, numbers, texts);
    return engine_->history(q).dump();
  });
}

std::string Manager::CheckDependencies() {
  return guarded([&] { return engine_->depsCheck().dump(); });
}

// Answered once the new config is loaded (off the loop, so the bus goes on
// answering) and applied, or refused.
void Manager::Reload(sdbus::Result<>&& result) {
  try {
    guarded([&] { requireAdmin("reloading the config"); });  // reads the caller's credentials before deferring
  } catch (const sdbus::Error& e) {
    result.returnError(e);
    return;
  }
  auto pending = std::make_shared<sdbus::Result<>>(std::move(result));
  hooks_.reload([this, pending](std::exception_ptr error) {
    try {
      guarded([&] {
        if (error) std::rethrow_exception(error);
      });
      pending->returnResults();
    } catch (const sdbus::Error& e) {
      emitSafely("the Reload reply", [&] { pending->returnError(e); });
    }
    loop_.kick();  // a deferred reply goes out outside a bus batch
  });
}

std::string Manager::Version() { return kVersion; }
bool Manager::Enabled() { return engine_->config().performance.enabled; }
uint64_t Manager::MonitorInterval() { return static_cast<uint64_t>(engine_->config().performance.monitoring_interval); }
double Manager::RegressionThreshold() { return engine_->config().performance.regression_threshold; }
double Manager::ConfidenceLevel() { return engine_->config().performance.confidence_level; }

std::vector<std::string> Manager::Scenarios() {
  std::vector<std::string> names;
  for (const auto& s : engine_->config().scenarios) names.push_back(s.name);
  return names;
}

std::vector<sdbus::Struct<std::string, std::string, std::string, double>> Manager::OpenRegressions() {
  std::vector<sdbus::Struct<std::string, std::string, std::string, double>> out;
  for (const auto& a : alerts_.open)
    out.emplace_back(a.scenario, a.metric, std::string(kSeverityNames.name(a.severity)), a.regression);
  return out;
}

}  // namespace giflab::daemon
