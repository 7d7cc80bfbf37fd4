#pragma once
// The daemon's jobs: one runs at a time (two benchmarks at once would spoil
// both), the others wait in order; each is an object on the bus
// (daemon/job.hpp) that stays for a minute after it ends, then goes. A job's
// work is a coroutine on the daemon's one io_context thread.
#include <sys/types.h>

#include <asio.hpp>
#include <asio/awaitable.hpp>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sdbus-c++/sdbus-c++.h>

#include "common/cycle/engine.hpp"
#include "common/cycle/monitor_cycle.hpp"
#include "daemon/bus_loop.hpp"
#include "daemon/job.hpp"

namespace giflab::daemon {

// What a job's work hands back: its result document (Job.Result) and, for a
// monitoring cycle, the cycle.
struct JobOutcome {
  nlohmann::json result;
  std::optional<CycleResult> cycle;
};
// A job's work: a coroutine on the engine the job was started with.
using JobWork = std::function<asio::awaitable<JobOutcome>(std::shared_ptr<Engine>, Cancellation, ProgressFn)>;

class JobQueue {
 public:
  struct Hooks {
    std::function<void(const Job&)> finished;  // it ended, whichever way: JobFinished, metrics
    // A cancel request: throws Error(AccessDenied) when the caller may not.
    std::function<void(const Job&, uid_t caller)> checkCancel;
    std::function<void()> changed;  // what a status line shows changed
  };
  // What the submitter hears back: onSuccess with the outcome before the job
  // is marked succeeded; onEnd(failure) in every case ("" unless it failed).
  struct Callbacks {
    std::function<void(const JobOutcome&)> onSuccess;
    std::function<void(const std::string& failure)> onEnd;
  };

  JobQueue(asio::io_context& io, sdbus::IConnection& connection, BusLoop& loop, Hooks hooks);
  ~JobQueue();

  // Throws Error(Busy) while stopping or when too many jobs wait.
  sdbus::ObjectPath submit(const std::string& kind, uid_t owner, std::shared_ptr<Engine> engine, JobWork work,
                           Callbacks callbacks = {});
  // Starts nothing more, cancels every job (the running one's children are
  // killed at once) and calls whenIdle once none runs.
  void shutDown(std::function<void()> whenIdle);

  // Every job object leaves the bus (before the object manager that announced them does).
  void removeAll() { jobs_.clear(); }

  std::string runningLine() const { return runningLine_; }  // "job 3 (cycle) running", or ""
  uint64_t changes() const { return changes_; }  // bumped whenever a job appears, changes state or goes
  nlohmann::json list() const;                  // id, kind, state, path of each

 private:
  struct QueuedJob {
    uint32_t id;
    std::shared_ptr<Engine> engine;  // the config the job was started with
    JobWork work;
    Callbacks callbacks;
  };
  void startNext();
  void end(uint32_t id, std::exception_ptr error, JobOutcome outcome);
  void fail(uint32_t id, JobState state, ErrorKind error, const std::string& message);
  void cancel(Job& job, uid_t caller);
  void ended(Job& job);
  void sweep();
  void scheduleSweep();

  asio::io_context& io_;
  sdbus::IConnection& connection_;
  BusLoop& loop_;
  Hooks hooks_;
  std::map<uint32_t, std::unique_ptr<Job>> jobs_;
  std::deque<QueuedJob> queue_;
  std::optional<QueuedJob> running_;
  std::function<void()> whenIdle_;
  bool shuttingDown_ = false;
  uint32_t nextId_ = 1;
  asio::steady_timer sweepTimer_;
  bool sweepScheduled_ = false;
  std::string runningLine_;
  uint64_t changes_ = 0;
};

}  // namespace giflab::daemon
