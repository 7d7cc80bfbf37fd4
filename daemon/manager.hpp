#pragma once
// The bus face of the daemon: org.giflab.Perf1.Manager on /org/giflab/Perf1
// with its methods (argument checks and translation to the engine), typed
// properties that emit PropertiesChanged, and the signals; the jobs appear
// through its ObjectManager. The job queue (daemon/job_queue.hpp) and the
// monitor's schedule (daemon/monitor_schedule.hpp) are parts it wires.
// Everything runs on the one io_context thread: a job is a coroutine that
// waits for its benchmark children there while the bus goes on being served.
#include <asio/awaitable.hpp>
#include <sys/types.h>

#include <asio.hpp>
#include <functional>
#include <map>
#include <memory>
#include <sdbus-c++/sdbus-c++.h>

#include "common/cycle/engine.hpp"
#include "common/cycle/monitor_cycle.hpp"
#include "daemon/bus_loop.hpp"
#include "daemon/job_queue.hpp"
#include "daemon/metrics.hpp"
#include "common/cycle/pace.hpp"
#include "daemon/monitor_schedule.hpp"
#include "org.giflab.Perf1.Manager.adaptor.h"

namespace giflab::daemon {

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
  std::string MonitorState() override { return std::string(bus::kMonitorStateNames.name(schedule_.state())); }
  uint64_t MonitorInterval() override;
  std::string LastCycle() override { return schedule_.lastCycle(); }
  std::string NextCycle() override { return schedule_.nextCycle(); }
  std::string NextCycleReason() override { return schedule_.nextCycle().empty() ? "" : pace_.current().reason; }
  std::vector<std::string> Scenarios() override;
  std::vector<sdbus::Struct<std::string, std::string, std::string, double>> OpenRegressions() override;
  double RegressionThreshold() override;
  double ConfidenceLevel() override;

  uid_t requireAdmin(const std::string& action);
  sdbus::ObjectPath submitBaselineJob(bool update, const std::vector<std::string>& scenarios, uint32_t iterations);
  sdbus::ObjectPath submitCycle(uid_t owner);
  void cycleSucceeded(const CycleResult& cycle, std::chrono::steady_clock::time_point started);
  void jobFinished(const Job& job);
  void publish(const std::vector<AlertEvent>& events);
  // EnvironmentChanged, its journal entry and the metric.
  void announceEnvironment(const EnvironmentEvent& event);
  // BudgetExceeded / BudgetRestored and their journal entries.
  void publishBudgets(const std::vector<BudgetEvent>& events);
  void propertiesChanged(const std::vector<std::string>& names);
  void statusChanged();
  // (Re)creates the Prometheus endpoint when the config asks for one; throws Error(Config).
  void configureMetrics(const Engine& engine);
  void refreshBaselineMetrics();
  void scheduleRetention(std::chrono::steady_clock::duration delay);

  BusLoop& loop_;
  std::shared_ptr<Engine> engine_;
  Hooks hooks_;
  JobQueue jobs_;
  MonitorSchedule schedule_;
  MonitorPace pace_;  // how soon the next cycle comes, and why
  asio::steady_timer retentionTimer_;
  AlertState alerts_;
  std::unique_ptr<Metrics> metrics_;
  // GetStatus reads every state file; its result is kept while they are unchanged.
  struct StatusCache {
    std::string key;     // engine, verbosity, state files' mtimes and sizes, monitor, job changes
    std::string answer;  // the reply as sent
  } statusCache_;
};

}  // namespace giflab::daemon
