#pragma once
// When the monitor runs its cycles: the monitor's state (running, stopped
// by an administrator, disabled by the config), the timer of the next
// cycle, and what the cycles did (how many, the last, a run of failures).
// A stop by an administrator is remembered in <state>/monitor.json across
// restarts. Running a cycle is the manager's (hooks.due).
#include <asio.hpp>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/base/bus_names.hpp"
#include "common/cycle/check_report.hpp"
#include "common/cycle/engine.hpp"

namespace giflab::daemon {

using bus::MonitorState;

class MonitorSchedule {
 public:
  struct Hooks {
    std::function<void()> due;  // a cycle is due and none is in flight
    std::function<void(const std::vector<std::string>&)> propertiesChanged;  // MonitorState, NextCycle, LastCycle
  };
  MonitorSchedule(asio::io_context& io, Hooks hooks);

  // At start-up: running when enabled and not stopped by an administrator.
  void startIfEnabled(const Engine& engine);
  // After a reload from `before`'s settings to engine's.
  void reconfigure(const Config& before, const Engine& engine);
  // An administrator's start and stop; remembered across restarts. Start
  // throws Error(Config) when the config disables monitoring.
  void start(const Engine& engine);
  void stop(const Engine& engine);
  void shutDown() { timer_.cancel(); }

  MonitorState state() const { return state_; }
  bool cycleInFlight() const { return inFlight_; }
  void cycleQueued() { inFlight_ = true; }
  // A cycle job succeeded: counted; its failed scenarios are the cycle's failure.
  void cycleSucceeded(const CheckReport& check);
  // A cycle job ended (failure: why, or ""): the next one is due an
  // interval after this one started.
  void cycleEnded(const std::string& failure, std::chrono::steady_clock::time_point started,
                  std::chrono::seconds interval);

  const std::string& lastCycle() const { return lastCycle_; }
  const std::string& nextCycle() const { return nextCycle_; }
  std::string statusLine(size_t scenarios) const;
  // status's "monitor" object, with line as its "status".
  nlohmann::json status(const std::string& line) const;
  std::string changeKey() const;  // differs whenever status() would

 private:
  void setState(MonitorState state);
  void scheduleNext(std::chrono::steady_clock::duration delay);
  void noteOutcome(const std::string& failure);

  asio::steady_timer timer_;
  Hooks hooks_;
  MonitorState state_ = MonitorState::Stopped;
  std::string lastCycle_, nextCycle_;
  std::chrono::steady_clock::time_point nextAt_{};
  bool inFlight_ = false;
  uint64_t cycles_ = 0;
  // While cycles fail: since when, how many in a row, the last error.
  struct Failures {
    std::string since;
    uint64_t count = 0;
    std::string error;
  };
  std::optional<Failures> failing_;
  std::string scenarioErrors_;  // of the cycle that just succeeded as a job
  std::vector<std::string> warnings_;  // the last cycle's, logged when they change
};

}  // namespace giflab::daemon
