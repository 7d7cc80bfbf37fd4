#pragma once
// org.giflab.Perf1.Manager on /org/giflab/Perf1: methods, typed properties
// that emit PropertiesChanged, the alert signals, the jobs (through the
// ObjectManager) and the monitoring schedule. Everything runs on the one
// io_context thread: a job is a coroutine that waits for its benchmark
// children there while the bus goes on being served.
#include <asio/awaitable.hpp>
#include <sys/types.h>

#include <asio.hpp>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <sdbus-c++/sdbus-c++.h>

#include "common/engine.hpp"
#include "common/monitor_cycle.hpp"
#include "daemon/bus_loop.hpp"
#include "daemon/job.hpp"
#include "daemon/metrics.hpp"
#include "org.giflab.Perf1.Manager.adaptor.h"

namespace giflab::daemon {

inline constexpr const char* kBusName = "org.giflab.Perf1";
inline constexpr const char* kManagerPath = "/org/giflab/Perf1";

// What a job's work hands back: its result document and, for a monitoring
// cycle, the alerts to publish and the new alert state.
struct JobOutcome {
  nlohmann::json result;
  std::optional<CycleResult> cycle;
};
// A job's work: a coroutine on the engine the job was started with.
using JobWork = std::function<asio::awaitable<JobOutcome>(std::shared_ptr<Engine>, Cancellation, ProgressFn)>;

class Manager final : public sdbus::AdaptorInterfaces<org::giflab::Perf1::Manager_adaptor, sdbus::ObjectManager_adaptor,
                                                      sdbus::Properties_adaptor> {
 public:
  struct Hooks {
    // Loads the config off the loop and applies it; done(nullptr) once it
    // is running, done(error) when it was refused (the old one stays).
    std::function<void(std::function<void(std::exception_ptr)> done)> reload;
    std::function<void(const std::string&)> statusLine;  // for sd_notify STATUS=
  };

  Manager(asio::io_context& io, sdbus::IConnection& connection, BusLoop& loop, std::shared_ptr<Engine> engine,
          Hooks hooks);
  ~Manager();

  // Starts the loop at start-up when enabled and not stopped by an admin.
  void startMonitoringIfEnabled();
  // After a reload: new settings, properties and schedule.
  void setEngine(std::shared_ptr<Engine> engine);
  // On SIGTERM: starts nothing more, cancels every job (the running one's
  // children are killed at once) and calls whenIdle once no job runs.
  void shutDown(std::function<void()> whenIdle);
  std::string statusLine() const;

 private:
  // org.giflab.Perf1.Manager
  std::string GetStatus(const bool& verbose) override;
  std::string ListBaselines() override;
  sdbus::ObjectPath CreateBaselines(const std::vector<std::string>& scenarios, const uint32_t& iterations) override;
  sdbus::ObjectPath UpdateBaselines(const std::vector<std::string>& scenarios, const uint32_t& iterations) override;
  std::string ClearBaselines(const std::vector<std::string>& scenarios) override;
  void StartMonitor() override;
  void StopMonitor() override;
  sdbus::ObjectPath RunCycle() override;
  sdbus::ObjectPath RunCi(const std::string& action, const double& threshold,
                          const std::vector<std::string>& scenarios) override;
  sdbus::ObjectPath Validate() override;
  std::string GetHistory(const std::string& scenario, const std::string& metric, const uint32_t& days,
                         const bool& trend, const bool& changes) override;
  std::string GetHistoryEx(const std::string& scenario, const std::string& metric, const uint32_t& days,
                           const bool& trend, const bool& changes,
                           const std::map<std::string, sdbus::Variant>& options) override;
  std::string CheckDependencies() override;
  void Reload(sdbus::Result<>&& result) override;
  std::string Version() override;
  bool Enabled() override;
  std::string MonitorState() override { return monitorState_; }
  uint64_t MonitorInterval() override;
  std::string LastCycle() override { return lastCycle_; }
  std::string NextCycle() override { return nextCycle_; }
  std::vector<std::string> Scenarios() override;
  std::vector<sdbus::Struct<std::string, std::string, std::string, double>> OpenRegressions() override;
  double RegressionThreshold() override;
  double ConfidenceLevel() override;

  uid_t requireAdmin(const std::string& action);
  sdbus::ObjectPath submitBaselineJob(bool update, const std::vector<std::string>& scenarios, uint32_t iterations);
  sdbus::ObjectPath submit(const std::string& kind, uid_t owner, JobWork work,
                           std::function<void(const JobOutcome&)> onSuccess = {},
                           std::function<void(const std::string& failure)> onEnd = {});
  void startNextJob();
  void endJob(uint32_t id, std::exception_ptr error, JobOutcome outcome);
  void finishJob(uint32_t id, JobState state, const std::string& errorName, const std::string& message);
  void onCancelRequest(Job& job, uid_t caller);
  void sweepFinishedJobs();
  void scheduleSweep();
  sdbus::ObjectPath submitCycle(uid_t owner);
  void scheduleRetention(std::chrono::steady_clock::duration delay);
  void scheduleNextCycle(std::chrono::steady_clock::duration delay);
  void setMonitorState(const std::string& state);
  void persistMonitorStopped(bool stopped) const;
  bool monitorStoppedByAdmin() const;
  void publish(const std::vector<AlertEvent>& events);
  // EnvironmentChanged, its journal entry and the metric.
  void announceEnvironment(const EnvironmentEvent& event);
  // A cycle that failed, or measured a failing scenario, and one that did not.
  void noteCycleOutcome(const std::string& failure);
  void propertiesChanged(const std::vector<std::string>& names);
  // (Re)creates the Prometheus endpoint when the config asks for one; throws Error(Config).
  void configureMetrics(const Engine& engine);
  void refreshBaselineMetrics();

  asio::io_context& io_;
  BusLoop& loop_;
  std::shared_ptr<Engine> engine_;
  Hooks hooks_;
  std::map<uint32_t, std::unique_ptr<Job>> jobs_;
  // Jobs wait here while another runs: two benchmarks at once would spoil both.
  struct QueuedJob {
    uint32_t id;
    std::shared_ptr<Engine> engine;  // the config the job was started with
    JobWork work;
    std::function<void(const JobOutcome&)> onSuccess;
    std::function<void(const std::string& failure)> onEnd;  // failure: why it failed, or ""
  };
  std::deque<QueuedJob> queue_;
  std::optional<QueuedJob> running_;
  std::function<void()> whenIdle_;  // set by shutDown()
  bool shuttingDown_ = false;
  uint32_t nextJobId_ = 1;
  asio::steady_timer sweepTimer_;
  asio::steady_timer cycleTimer_;
  asio::steady_timer retentionTimer_;
  std::string monitorState_ = "stopped";
  std::string lastCycle_, nextCycle_;
  std::chrono::steady_clock::time_point nextCycleAt_{};
  bool cycleInFlight_ = false;
  uint64_t cycles_ = 0;
  // While cycles fail: since when, how many in a row, the last error.
  struct CycleFailures {
    std::string since;
    uint64_t count = 0;
    std::string error;
  };
  std::optional<CycleFailures> failing_;
  std::string cycleScenarioErrors_;  // from the cycle that just succeeded as a job
  AlertState alerts_;
  std::string runningJobLine_;
  std::unique_ptr<Metrics> metrics_;
  // GetStatus reads every state file; its result is kept while they are unchanged.
  struct StatusCache {
    std::string key;     // engine, verbosity, state files' mtimes and sizes, monitor line, job changes
    std::string answer;  // the reply as sent
  } statusCache_;
  uint64_t jobChanges_ = 0;  // bumped whenever a job appears, changes state or goes
  bool sweepScheduled_ = false;
};

}  // namespace giflab::daemon
