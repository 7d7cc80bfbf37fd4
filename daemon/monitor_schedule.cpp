#include "daemon/monitor_schedule.hpp"

#include "daemon/logging.hpp"

#include <fstream>

#include "common/store/atomic_file.hpp"
#include "common/base/error.hpp"
#include "common/base/timeutil.hpp"

namespace giflab::daemon {
using nlohmann::json;

namespace {

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

void persistStopped(const Engine& engine, bool stopped) {
  try {
    ensureDirectory(engine.stateDir());
    writeFileAtomically(engine.stateDir() / "monitor.json", json{{"stopped_by_admin", stopped}}.dump() + "\n");
  } catch (const std::exception& e) {
    logWarning("Cannot remember the monitor state: {}", e.what());
  }
}

bool stoppedByAdmin(const Engine& engine) {
  std::ifstream in(engine.stateDir() / "monitor.json");
  if (!in) return false;
  const json j = json::parse(in, nullptr, false);
  return j.is_object() && j.value("stopped_by_admin", false);
}

}  // namespace

MonitorSchedule::MonitorSchedule(asio::io_context& io, Hooks hooks) : timer_(io), hooks_(std::move(hooks)) {}

void MonitorSchedule::setState(MonitorState state) {
  if (state == state_) return;
  state_ = state;
  if (state != MonitorState::Running) {
    timer_.cancel();
    nextCycle_.clear();
    nextAt_ = {};
    hooks_.propertiesChanged({"MonitorState", "NextCycle"});
  } else {
    hooks_.propertiesChanged({"MonitorState"});
  }
}

void MonitorSchedule::startIfEnabled(const Engine& engine) {
  if (!engine.config().performance.enabled) {
    logInfo("Performance monitoring is disabled; enable it with performance.enabled = true in {} or "
                 "GIFLAB_ENABLE_PERFORMANCE_MONITORING=true",
                 engine.config().source.empty() ? "the config" : engine.config().source.string());
    setState(MonitorState::Disabled);
    return;
  }
  if (stoppedByAdmin(engine)) {
    logInfo("Monitoring stays stopped, as an administrator left it (giflab-perfctl monitor start)");
    setState(MonitorState::Stopped);
    return;
  }
  setState(MonitorState::Running);
  scheduleNext(std::chrono::seconds(0));
}

void MonitorSchedule::reconfigure(const Config& before, const Engine& engine) {
  const auto& perf = engine.config().performance;
  if (!perf.enabled) setState(MonitorState::Disabled);
  else if (!before.performance.enabled || state_ == MonitorState::Disabled) startIfEnabled(engine);
  else if (state_ == MonitorState::Running && before.performance.monitoring_interval != perf.monitoring_interval &&
           !inFlight_)
    scheduleNext(std::chrono::seconds(perf.monitoring_interval));
}

void MonitorSchedule::start(const Engine& engine) {
  if (!engine.config().performance.enabled)
    throw Error(ErrorKind::Config,
                "Performance monitoring is disabled; enable it with performance.enabled = true in the config "
                "(then systemctl reload giflab-perfd) or GIFLAB_ENABLE_PERFORMANCE_MONITORING=true in the "
                "service's environment");
  persistStopped(engine, false);
  if (state_ == MonitorState::Running) return;
  setState(MonitorState::Running);
  logInfo("Monitoring started, every {} s", engine.config().performance.monitoring_interval);
  if (!inFlight_) scheduleNext(std::chrono::seconds(0));
}

void MonitorSchedule::stop(const Engine& engine) {
  persistStopped(engine, true);
  if (state_ != MonitorState::Running) return;
  setState(MonitorState::Stopped);
  logInfo("Monitoring stopped");
}

void MonitorSchedule::scheduleNext(std::chrono::steady_clock::duration delay) {
  if (state_ != MonitorState::Running) return;
  nextAt_ = std::chrono::steady_clock::now() + delay;
  nextCycle_ = isoIn(delay);
  hooks_.propertiesChanged({"NextCycle"});
  timer_.expires_at(nextAt_);
  timer_.async_wait([this](const asio::error_code& e) {
    if (e || state_ != MonitorState::Running) return;
    if (inFlight_) return;  // the running cycle schedules the next one
    hooks_.due();
  });
}

void MonitorSchedule::cycleSucceeded(const CheckReport& check) {
  ++cycles_;
  if (check.noBaselines)
    logWarning("No performance baselines available; history recorded. Create them with 'giflab-perfctl baseline create'");
  // A warning (a failing version command) is logged when it first appears,
  // not every cycle.
  if (check.warnings != warnings_)
    for (const auto& w : check.warnings) logWarning("{}", w);
  warnings_ = check.warnings;
  scenarioErrors_.clear();
  for (const auto& s : check.scenarios)
    if (s.error) {
      logError("{}", *s.error);
      scenarioErrors_ += (scenarioErrors_.empty() ? "" : "\n") + *s.error;
    }
}

void MonitorSchedule::cycleEnded(const std::string& failure, std::chrono::steady_clock::time_point started,
                                 std::chrono::seconds interval) {
  inFlight_ = false;
  noteOutcome(failure.empty() ? std::exchange(scenarioErrors_, {}) : failure);
  lastCycle_ = nowIso8601();
  hooks_.propertiesChanged({"LastCycle"});
  const auto elapsed = std::chrono::steady_clock::now() - started;
  scheduleNext(elapsed >= interval ? std::chrono::steady_clock::duration(0) : interval - elapsed);
}

void MonitorSchedule::noteOutcome(const std::string& failure) {
  if (failure.empty()) {
    if (failing_) logInfo("Monitoring cycles work again after {} failed", failing_->count);
    failing_.reset();
    return;
  }
  if (!failing_) failing_ = Failures{nowIso8601(), 0, ""};
  ++failing_->count;
  failing_->error = failure;
}

std::string MonitorSchedule::statusLine(size_t scenarios) const {
  switch (state_) {
    case MonitorState::Running: {
      std::string line = "monitoring " + std::to_string(scenarios) + (scenarios == 1 ? " scenario" : " scenarios");
      if (inFlight_) line += ", cycle running";
      else if (nextAt_ != std::chrono::steady_clock::time_point{})
        line += ", next cycle in " + humanDuration(nextAt_ - std::chrono::steady_clock::now());
      return line;
    }
    case MonitorState::Disabled:
      return "monitoring disabled (set performance.enabled or GIFLAB_ENABLE_PERFORMANCE_MONITORING=true)";
    case MonitorState::Stopped: break;
  }
  return "monitoring stopped (giflab-perfctl monitor start)";
}

json MonitorSchedule::status(const std::string& line) const {
  json s = {{"state", bus::kMonitorStateNames.name(state_)}, {"cycles", cycles_}, {"status", line}};
  if (!lastCycle_.empty()) s["last_cycle"] = lastCycle_;
  if (!nextCycle_.empty()) s["next_cycle"] = nextCycle_;
  if (failing_) s["failing"] = {{"since", failing_->since}, {"failures", failing_->count}, {"error", failing_->error}};
  return s;
}

std::string MonitorSchedule::changeKey() const {
  return lastCycle_ + "|" + nextCycle_ + "|" + std::string(bus::kMonitorStateNames.name(state_)) + "|" +
         std::to_string(cycles_) + "/" + std::to_string(failing_ ? failing_->count : 0);
}

}  // namespace giflab::daemon
