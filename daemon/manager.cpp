#include "daemon/manager.hpp"

#include "common/machine.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "common/alert_state.hpp"
#include "common/atomic_file.hpp"
#include "common/baseline.hpp"
#include "common/detection.hpp"
#include "common/error.hpp"
#include "common/history.hpp"
#include "common/timeutil.hpp"
#include "common/version.hpp"
#include "daemon/arguments.hpp"
#include "daemon/authorizer.hpp"
#include "daemon/emit.hpp"
#include "daemon/journal.hpp"

namespace giflab::daemon {
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxUnfinishedJobs = 32;
constexpr auto kJobRetention = std::chrono::seconds(60);
constexpr size_t kMaxNames = 1000;

std::string busErrorName(ErrorKind kind) { return std::string("org.giflab.Perf1.Error.") + errorKindName(kind); }

// The D-Bus boundary: engine errors become named D-Bus errors.
template <typename F>
auto guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error& e) {
    throw sdbus::Error(busErrorName(e.kind()), e.what());
  } catch (const sdbus::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw sdbus::Error(busErrorName(ErrorKind::Internal), e.what());
  }
}

std::string isoIn(std::chrono::steady_clock::duration d) {
  return formatIso8601(std::chrono::system_clock::now() +
                       std::chrono::duration_cast<std::chrono::system_clock::duration>(d));
}

std::string humanDuration(std::chrono::steady_clock::duration d) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s < 90) return std::to_string(std::max<long long>(s, 0)) + " s";
  if (s < 5400) return std::to_string((s + 30) / 60) + " min";
  return std::to_string((s + 1800) / 3600) + " h";
}

// The work of each kind of job. Free coroutines taking everything by value:
// a lambda's captures would not outlive its call, the coroutine's frame does.
asio::awaitable<JobOutcome> baselineWork(std::shared_ptr<Engine> engine, bool update,
                                         std::vector<std::string> scenarios, std::optional<int> iterations,
                                         Cancellation cancel, ProgressFn progress) {
  JobOutcome outcome;
  if (update) outcome.result = co_await engine->updateBaselines(std::move(scenarios), iterations, cancel, progress);
  else outcome.result = co_await engine->createBaselines(std::move(scenarios), iterations, cancel, progress);
  co_return outcome;
}

asio::awaitable<JobOutcome> ciWork(std::shared_ptr<Engine> engine, CheckOptions options, Cancellation cancel,
                                   ProgressFn progress) {
  JobOutcome outcome;
  outcome.result = co_await engine->runCheck(std::move(options), cancel, progress);  // as the `ci --json` document
  co_return outcome;
}

asio::awaitable<JobOutcome> validateWork(std::shared_ptr<Engine> engine, Cancellation cancel, ProgressFn progress) {
  JobOutcome outcome;
  outcome.result = co_await engine->validate(cancel, progress);
  co_return outcome;
}

asio::awaitable<JobOutcome> cycleWork(std::shared_ptr<Engine> engine, Cancellation cancel, ProgressFn progress) {
  CycleResult r = co_await runMonitorCycle(*engine, cancel, progress);
  co_return JobOutcome{json(r), std::move(r)};
}

}  // namespace

Manager::Manager(asio::io_context& io, sdbus::IConnection& connection, BusLoop& loop,
                 std::shared_ptr<Engine> engine, Hooks hooks)
    : AdaptorInterfaces(connection, kManagerPath),
      io_(io),
      loop_(loop),
      engine_(std::move(engine)),
      hooks_(std::move(hooks)),
      sweepTimer_(io),
      cycleTimer_(io),
      retentionTimer_(io) {
  alerts_ = AlertStore(engine_->stateDir()).load();
  configureMetrics(*engine_);
  registerAdaptor();
  scheduleRetention(std::chrono::minutes(1));
}

Manager::~Manager() {
  // Job objects go before the object manager they are announced through.
  jobs_.clear();
  unregisterAdaptor();
}

void Manager::propertiesChanged(const std::vector<std::string>& names) {
  emitSafely("the manager's PropertiesChanged",
             [&] { emitPropertiesChangedSignal(org::giflab::Perf1::Manager_adaptor::INTERFACE_NAME, names); });
  loop_.kick();
  if (hooks_.statusLine) hooks_.statusLine(statusLine());
}

std::string Manager::statusLine() const {
  std::string line;
  const size_t n = engine_->config().scenarios.size();
  if (monitorState_ == "running") {
    line = "monitoring " + std::to_string(n) + (n == 1 ? " scenario" : " scenarios");
    if (cycleInFlight_) line += ", cycle running";
    else if (nextCycleAt_ != std::chrono::steady_clock::time_point{})
      line += ", next cycle in " + humanDuration(nextCycleAt_ - std::chrono::steady_clock::now());
  } else if (monitorState_ == "disabled") {
    line = "monitoring disabled (set performance.enabled or GIFLAB_ENABLE_PERFORMANCE_MONITORING=true)";
  } else {
    line = "monitoring stopped (giflab-perfctl monitor start)";
  }
  if (!alerts_.open.empty()) line += "; " + std::to_string(alerts_.open.size()) + " open regression(s)";
  if (!runningJobLine_.empty()) line += "; " + runningJobLine_;
  return line;
}

void Manager::configureMetrics(const Engine& engine) {
  const auto& prom = engine.config().prometheus;
  if (!prom) {
    if (metrics_) spdlog::info("Prometheus endpoint on {} stopped", metrics_->listen());
    metrics_.reset();
    return;
  }
  if (!metrics_ || metrics_->listen() != prom->listen) {
    metrics_.reset();  // free the old address first
    metrics_ = std::make_unique<Metrics>(prom->listen);
    spdlog::info("Prometheus metrics on http://{}/metrics", prom->listen);
  }
  metrics_->setInterval(static_cast<double>(engine.config().performance.monitoring_interval));
  metrics_->setOpenRegressions(alerts_.open);
  metrics_->setMachineFactor(alerts_.machine.factor);
  refreshBaselineMetrics();
}

void Manager::refreshBaselineMetrics() {
  if (!metrics_) return;
  try {
    metrics_->setBaselines(engine_ ? engine_->listBaselines() : json::object());
  } catch (const std::exception& e) {
    spdlog::warn("Baseline metrics not updated: {}", e.what());
  }
}

// ---- access and arguments -------------------------------------------------

uid_t Manager::requireAdmin(const std::string& action) {
  const uid_t uid = getObject().getCurrentlyProcessedMessage()->getCredsUid();
  const std::string& group = engine_->config().performance.admin_group;
  if (!isAdmin(uid, group)) throw Error(ErrorKind::AccessDenied, accessDeniedMessage(action, uid, group));
  return uid;
}

// ---- jobs -----------------------------------------------------------------

sdbus::ObjectPath Manager::submit(const std::string& kind, uid_t owner, JobWork work,
                                  std::function<void(const JobOutcome&)> onSuccess,
                                  std::function<void(const std::string&)> onEnd) {
  if (shuttingDown_) throw Error(ErrorKind::Busy, "giflab-perfd is stopping; try again once it has restarted");
  size_t unfinished = 0;
  for (const auto& [id, j] : jobs_) unfinished += !j->finished();
  if (unfinished >= kMaxUnfinishedJobs)
    throw Error(ErrorKind::Busy, "too many jobs waiting (" + std::to_string(unfinished) +
                                     "); wait for them to finish (giflab-perfctl status) and try again");
  const uint32_t id = nextJobId_++;
  auto job = std::make_unique<Job>(getObject().getConnection(), id, kind, owner,
                                   [this](Job& j, uid_t caller) { onCancelRequest(j, caller); });
  const auto path = job->path();
  jobs_.emplace(id, std::move(job));
  ++jobChanges_;
  spdlog::info("Job {} ({}) queued", id, kind);
  queue_.push_back({id, engine_, std::move(work), std::move(onSuccess), std::move(onEnd)});
  // Started from the loop, not from inside this method call: the reply with
  // the job's path goes out before the job's first PropertiesChanged.
  asio::post(io_, [this] { startNextJob(); });
  if (hooks_.statusLine) hooks_.statusLine(statusLine());
  return path;
}

void Manager::startNextJob() {
  if (running_ || queue_.empty() || shuttingDown_) return;
  running_ = std::move(queue_.front());
  queue_.pop_front();
  const uint32_t id = running_->id;
  Job& job = *jobs_.at(id);
  job.markRunning();
  ++jobChanges_;
  runningJobLine_ = "job " + std::to_string(id) + " (" + job.kind() + ") running";
  if (hooks_.statusLine) hooks_.statusLine(statusLine());
  ProgressFn progress = [this, id, lastPost = std::chrono::steady_clock::time_point{}](
                            double fraction, const std::string& message) mutable {
    const auto now = std::chrono::steady_clock::now();
    if (fraction < 1.0 && now - lastPost < std::chrono::milliseconds(100)) return;
    lastPost = now;
    if (auto it = jobs_.find(id); it != jobs_.end()) it->second->setProgress(fraction, message);
    loop_.kick();  // an emit outside a bus batch
  };
  asio::co_spawn(io_, running_->work(running_->engine, job.cancellation(), std::move(progress)),
                 [this, id](std::exception_ptr error, JobOutcome outcome) { endJob(id, error, std::move(outcome)); });
  loop_.kick();
}

void Manager::endJob(uint32_t id, std::exception_ptr error, JobOutcome outcome) {
  QueuedJob ended = std::move(*running_);
  running_.reset();
  runningJobLine_.clear();
  std::string failure;  // why it failed; empty when it succeeded or was cancelled
  try {
    if (error) std::rethrow_exception(error);
    if (ended.onSuccess) ended.onSuccess(outcome);
    if (auto it = jobs_.find(id); it != jobs_.end() && !it->second->finished()) {
      // Every string in it was made valid UTF-8 where it entered; should one
      // have slipped through, it is replaced rather than failing the job.
      it->second->succeed(outcome.result.dump(-1, ' ', false, json::error_handler_t::replace));
      ++jobChanges_;
      scheduleSweep();
      emitSafely("JobFinished", [&] { emitJobFinished(it->second->path(), "succeeded"); });
      if (metrics_) metrics_->recordJob(it->second->kind(), "succeeded");
      if (it->second->kind().rfind("baseline-", 0) == 0) refreshBaselineMetrics();
      spdlog::info("Job {} succeeded", id);
    }
  } catch (const Error& e) {
    const bool cancelled = e.kind() == ErrorKind::Cancelled;
    if (!cancelled) failure = e.what();
    finishJob(id, cancelled ? JobState::Cancelled : JobState::Failed, busErrorName(e.kind()), e.what());
  } catch (const std::exception& e) {
    failure = printable(e.what());
    finishJob(id, JobState::Failed, busErrorName(ErrorKind::Internal), failure);
  }
  if (ended.onEnd) ended.onEnd(failure);
  if (hooks_.statusLine) hooks_.statusLine(statusLine());
  loop_.kick();
  if (shuttingDown_) {
    if (auto idle = std::exchange(whenIdle_, nullptr)) idle();
    return;
  }
  startNextJob();
}

void Manager::finishJob(uint32_t id, JobState state, const std::string& errorName, const std::string& message) {
  auto it = jobs_.find(id);
  if (it == jobs_.end() || it->second->finished()) return;
  it->second->fail(state, errorName, message);
  ++jobChanges_;
  scheduleSweep();
  emitSafely("JobFinished", [&] { emitJobFinished(it->second->path(), jobStateName(state)); });
  if (metrics_) metrics_->recordJob(it->second->kind(), jobStateName(state));
  if (state == JobState::Cancelled) spdlog::info("Job {} cancelled", id);
  else spdlog::warn("Job {} failed: {}", id, message);
  if (hooks_.statusLine) hooks_.statusLine(statusLine());
}

void Manager::onCancelRequest(Job& job, uid_t caller) {
  guarded([&] {
    if (caller != job.owner() && !isAdmin(caller, engine_->config().performance.admin_group))
      throw Error(ErrorKind::AccessDenied,
                  accessDeniedMessage("cancelling job " + std::to_string(job.id()), caller,
                                      engine_->config().performance.admin_group));
    if (job.finished()) return;
    // A running job's child is killed now; its coroutine then ends as cancelled.
    job.cancellation().request();
    const auto queued = std::find_if(queue_.begin(), queue_.end(), [&](const QueuedJob& q) { return q.id == job.id(); });
    if (queued == queue_.end()) return;
    auto onEnd = std::move(queued->onEnd);
    queue_.erase(queued);
    finishJob(job.id(), JobState::Cancelled, busErrorName(ErrorKind::Cancelled), "cancelled before it started");
    if (onEnd) onEnd("");
  });
}

void Manager::shutDown(std::function<void()> whenIdle) {
  shuttingDown_ = true;
  cycleTimer_.cancel();
  for (auto& queued : queue_) finishJob(queued.id, JobState::Cancelled, busErrorName(ErrorKind::Cancelled), "giflab-perfd stopped");
  queue_.clear();
  if (!running_) {
    whenIdle();
    return;
  }
  whenIdle_ = std::move(whenIdle);
  jobs_.at(running_->id)->cancellation().request();
}

void Manager::sweepFinishedJobs() {
  sweepScheduled_ = false;
  const auto now = std::chrono::steady_clock::now();
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    if (it->second->finished() && now - it->second->finishedAt() > kJobRetention) it = jobs_.erase(it), ++jobChanges_;
    else ++it;
  }
  loop_.kick();
  scheduleSweep();
}

// Armed only while a finished job waits to expire: an idle daemon has no
// timer of its own to wake it.
void Manager::scheduleSweep() {
  if (sweepScheduled_) return;
  std::optional<std::chrono::steady_clock::time_point> next;
  for (const auto& [id, j] : jobs_)
    if (j->finished() && (!next || j->finishedAt() < *next)) next = j->finishedAt();
  if (!next) return;
  sweepScheduled_ = true;
  sweepTimer_.expires_at(*next + kJobRetention + std::chrono::seconds(1));
  sweepTimer_.async_wait([this](const asio::error_code& e) {
    if (!e) sweepFinishedJobs();
  });
}

// ---- monitoring -----------------------------------------------------------

// Retention also runs on every append; this covers a daemon that records
// nothing for days.
void Manager::scheduleRetention(std::chrono::steady_clock::duration delay) {
  retentionTimer_.expires_after(delay);
  retentionTimer_.async_wait([this](const asio::error_code& e) {
    if (e) return;
    try {
      const int days = engine_->config().performance.max_history_days;
      const auto removed = HistoryStore(engine_->stateDir(), days).removeExpired();
      if (removed) spdlog::info("Removed {} history records older than {} days", removed, days);
    } catch (const std::exception& ex) {
      spdlog::warn("History retention cleanup failed: {}", ex.what());
    }
    scheduleRetention(std::chrono::hours(6));
  });
}

void Manager::setMonitorState(const std::string& state) {
  if (state == monitorState_) return;
  monitorState_ = state;
  if (state != "running") {
    cycleTimer_.cancel();
    nextCycle_.clear();
    nextCycleAt_ = {};
    propertiesChanged({"MonitorState", "NextCycle"});
  } else {
    propertiesChanged({"MonitorState"});
  }
}

void Manager::persistMonitorStopped(bool stopped) const {
  try {
    ensureDirectory(engine_->stateDir());
    writeFileAtomically(engine_->stateDir() / "monitor.json", json{{"stopped_by_admin", stopped}}.dump() + "\n");
  } catch (const std::exception& e) {
    spdlog::warn("Cannot remember the monitor state: {}", e.what());
  }
}

bool Manager::monitorStoppedByAdmin() const {
  std::ifstream in(engine_->stateDir() / "monitor.json");
  if (!in) return false;
  const json j = json::parse(in, nullptr, false);
  return j.is_object() && j.value("stopped_by_admin", false);
}

void Manager::startMonitoringIfEnabled() {
  const auto& perf = engine_->config().performance;
  if (!perf.enabled) {
    spdlog::info("Performance monitoring is disabled; enable it with performance.enabled = true in {} or "
                 "GIFLAB_ENABLE_PERFORMANCE_MONITORING=true",
                 engine_->config().source.empty() ? "the config" : engine_->config().source.string());
    setMonitorState("disabled");
    return;
  }
  if (monitorStoppedByAdmin()) {
    spdlog::info("Monitoring stays stopped, as an administrator left it (giflab-perfctl monitor start)");
    setMonitorState("stopped");
    return;
  }
  setMonitorState("running");
  scheduleNextCycle(std::chrono::seconds(0));
}

void Manager::scheduleNextCycle(std::chrono::steady_clock::duration delay) {
  if (monitorState_ != "running") return;
  nextCycleAt_ = std::chrono::steady_clock::now() + delay;
  nextCycle_ = isoIn(delay);
  propertiesChanged({"NextCycle"});
  cycleTimer_.expires_at(nextCycleAt_);
  cycleTimer_.async_wait([this](const asio::error_code& e) {
    if (e || monitorState_ != "running") return;
    if (cycleInFlight_) return;  // the running cycle schedules the next one
    submitCycle(0);
  });
}

sdbus::ObjectPath Manager::submitCycle(uid_t owner) {
  cycleInFlight_ = true;
  const auto started = std::chrono::steady_clock::now();
  JobWork work = cycleWork;
  auto onSuccess = [this, started](const JobOutcome& o) {
    ++cycles_;
    const CycleResult& cycle = *o.cycle;
    if (metrics_)
      metrics_->recordCycle(cycle.check, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    if (cycle.check.noBaselines)
      spdlog::warn("No performance baselines available; history recorded. Create them with 'giflab-perfctl baseline create'");
    cycleScenarioErrors_.clear();
    for (const auto& s : cycle.check.scenarios)
      if (s.error) {
        spdlog::error("{}", *s.error);
        cycleScenarioErrors_ += (cycleScenarioErrors_.empty() ? "" : "\n") + *s.error;
      }
    alerts_ = cycle.state;
    if (metrics_) metrics_->setOpenRegressions(alerts_.open);
    publish(cycle.events);
    if (cycle.environment) announceEnvironment(*cycle.environment);
    propertiesChanged({"OpenRegressions"});
  };
  auto onEnd = [this, started](const std::string& failure) {
    cycleInFlight_ = false;
    noteCycleOutcome(failure.empty() ? std::exchange(cycleScenarioErrors_, {}) : failure);
    lastCycle_ = nowIso8601();
    propertiesChanged({"LastCycle"});
    const auto interval = std::chrono::seconds(engine_->config().performance.monitoring_interval);
    const auto elapsed = std::chrono::steady_clock::now() - started;
    scheduleNextCycle(elapsed >= interval ? std::chrono::steady_clock::duration(0) : interval - elapsed);
  };
  return submit("cycle", owner, std::move(work), onSuccess, onEnd);
}

void Manager::noteCycleOutcome(const std::string& failure) {
  if (failure.empty()) {
    if (failing_) spdlog::info("Monitoring cycles work again after {} failed", failing_->count);
    failing_.reset();
    return;
  }
  if (!failing_) failing_ = CycleFailures{nowIso8601(), 0, ""};
  ++failing_->count;
  failing_->error = failure;
}

void Manager::announceEnvironment(const EnvironmentEvent& ev) {
  const std::map<std::string, sdbus::Variant> details{{"control_current", sdbus::Variant(ev.controlCurrent)},
                                                      {"control_baseline", sdbus::Variant(ev.controlBaseline)},
                                                      {"timestamp", sdbus::Variant(ev.timestamp)}};
  emitSafely("EnvironmentChanged", [&] { emitEnvironmentChanged(ev.factor, details); });
  spdlog::info("Environment changed: {}", describeMachine(ev.factor, ev.controlCurrent, ev.controlBaseline));
  journalEnvironment(ev);
  if (metrics_) metrics_->setMachineFactor(ev.factor);
  loop_.kick();
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
  const bool wasEnabled = engine_->config().performance.enabled;
  const auto oldInterval = engine_->config().performance.monitoring_interval;
  engine_ = std::move(engine);
  const auto& perf = engine_->config().performance;
  propertiesChanged({"Enabled", "MonitorInterval", "Scenarios", "RegressionThreshold", "ConfidenceLevel"});
  if (!perf.enabled) {
    setMonitorState("disabled");
  } else if (!wasEnabled || monitorState_ == "disabled") {
    startMonitoringIfEnabled();
  } else if (monitorState_ == "running" && oldInterval != perf.monitoring_interval && !cycleInFlight_) {
    scheduleNextCycle(std::chrono::seconds(perf.monitoring_interval));
  }
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
                            stateStamp(engine_->stateDir()) + line + lastCycle_ + nextCycle_ + monitorState_ +
                            std::to_string(jobChanges_) + std::to_string(cycles_) + "/" +
                            std::to_string(failing_ ? failing_->count : 0);
    if (key == statusCache_.key) return statusCache_.answer;
    json s = engine_->status(verbose);
    s["daemon"] = "running";
    s["pid"] = ::getpid();
    s["monitor"] = {{"state", monitorState_}, {"cycles", cycles_}, {"status", line}};
    if (!lastCycle_.empty()) s["monitor"]["last_cycle"] = lastCycle_;
    if (!nextCycle_.empty()) s["monitor"]["next_cycle"] = nextCycle_;
    if (failing_)
      s["monitor"]["failing"] = {{"since", failing_->since}, {"failures", failing_->count}, {"error", failing_->error}};
    s["open_regressions"] = alerts_.open;
    // engine_->status read "machine" from alerts.json, which the cycle saved with the state in alerts_.
    if (verbose) s["pending_regressions"] = alerts_.pending;
    json jobs = json::array();
    for (const auto& [id, j] : jobs_)
      jobs.push_back({{"id", id}, {"kind", j->kind()}, {"state", jobStateName(j->state())}, {"path", j->path()}});
    s["jobs"] = jobs;
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
    return submit(update ? "baseline-update" : "baseline-create", uid,
                  [update, scenarios, n](std::shared_ptr<Engine> e, Cancellation c, ProgressFn p) {
                    return baselineWork(std::move(e), update, scenarios, n, std::move(c), std::move(p));
                  });
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
    spdlog::info("Baselines cleared: {}", r["cleared"].dump());
    return r.dump();
  });
}

void Manager::StartMonitor() {
  guarded([&] {
    requireAdmin("starting the monitor");
    if (!engine_->config().performance.enabled)
      throw Error(ErrorKind::Config,
                  "Performance monitoring is disabled; enable it with performance.enabled = true in the config "
                  "(then systemctl reload giflab-perfd) or GIFLAB_ENABLE_PERFORMANCE_MONITORING=true in the "
                  "service's environment");
    persistMonitorStopped(false);
    if (monitorState_ == "running") return;
    setMonitorState("running");
    spdlog::info("Monitoring started, every {} s", engine_->config().performance.monitoring_interval);
    if (!cycleInFlight_) scheduleNextCycle(std::chrono::seconds(0));
  });
}

void Manager::StopMonitor() {
  guarded([&] {
    requireAdmin("stopping the monitor");
    persistMonitorStopped(true);
    if (monitorState_ == "running") {
      setMonitorState("stopped");
      spdlog::info("Monitoring stopped");
    }
  });
}

sdbus::ObjectPath Manager::RunCycle() {
  return guarded([&] {
    const uid_t uid = requireAdmin("running a monitoring cycle");
    if (cycleInFlight_) throw Error(ErrorKind::Busy, "a monitoring cycle is already queued or running; wait for it");
    return submitCycle(uid);
  });
}

sdbus::ObjectPath Manager::RunCi(const std::string& action, const double& threshold,
                                 const std::vector<std::string>& scenarios) {
  return guarded([&] {
    const uid_t uid = requireAdmin("running a CI check");
    const CheckOptions o = checkCiArguments(*engine_, action, threshold, scenarios);
    return submit("ci", uid, [o](std::shared_ptr<Engine> e, Cancellation c, ProgressFn p) {
      return ciWork(std::move(e), o, std::move(c), std::move(p));
    });
  });
}

sdbus::ObjectPath Manager::Validate() {
  return guarded([&] {
    const uid_t uid = requireAdmin("running a validation");
    return submit("validate", uid, validateWork);
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
    for (const auto& [key, value] : options) {
      if (value.peekValueType() != "d")
        throw Error(ErrorKind::InvalidArgument, "history option \"" + shortened(key) + "\" must be a double (d)");
      numbers[key] = value.get<double>();
    }
    applyHistoryOptions(q, numbers);
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
