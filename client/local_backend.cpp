#include "client/local_backend.hpp"

#include "common/detect/machine.hpp"

#include <chrono>
#include <cstdio>
#include <thread>

#include "common/base/bus_names.hpp"
#include "common/cycle/alert_view.hpp"
#include "common/cycle/pace.hpp"
#include "common/measure/blocking.hpp"
#include "common/base/error.hpp"
#include "common/cycle/monitor_cycle.hpp"
#include "common/base/timeutil.hpp"

namespace giflab::cli {
using nlohmann::json;

namespace {

class LocalBackend final : public Backend {
 public:
  LocalBackend(Engine engine, int cycles, bool json) : engine_(std::move(engine)), cycles_(cycles), json_(json) {}

  json status(bool verbose) override {
    json s = engine_.status(verbose);
    s["daemon"] = "local";
    s["monitor"] = {{"state", bus::kMonitorStateNames.name(bus::MonitorState::Stopped)}, {"detail", "local mode: the monitor runs only while 'monitor start --local' does"}};
    return s;
  }
  json baselineCreate(const std::vector<std::string>& s, std::optional<int> it, const ProgressFn& p) override {
    return runBlocking([&](Cancellation c) { return engine_.createBaselines(s, it, c, p); }, &interruptFlag());
  }
  json baselineUpdate(const std::vector<std::string>& s, std::optional<int> it, const ProgressFn& p) override {
    return runBlocking([&](Cancellation c) { return engine_.updateBaselines(s, it, c, p); }, &interruptFlag());
  }
  json baselineList() override { return engine_.listBaselines(); }
  json baselineClear(const std::vector<std::string>& s) override { return engine_.clearBaselines(s); }
  json history(const HistoryQuery& q) override { return engine_.history(q); }
  json validate(const ProgressFn& p) override {
    return runBlocking([&](Cancellation c) { return engine_.validate(c, p); }, &interruptFlag());
  }
  json ci(const CheckOptions& o, const ProgressFn& p) override {
    return runBlocking([&](Cancellation c) { return engine_.runCheck(o, c, p); }, &interruptFlag());  // as JSON
  }
  json deps() override { return engine_.depsCheck(); }

  json monitor(const std::string& action, const ProgressFn& progress) override {
    const auto& perf = engine_.config().performance;
    if (action == "status")
      return {{"state", bus::kMonitorStateNames.name(bus::MonitorState::Stopped)},
              {"enabled", perf.enabled},
              {"interval", perf.monitoring_interval},
              {"detail", "local mode: no daemon; 'monitor start --local' runs the loop in the foreground"}};
    if (action == "stop")
      throw Error(ErrorKind::InvalidArgument,
                  "there is no monitor to stop in local mode; stop a foreground 'monitor start --local' with Ctrl-C");
    if (!perf.enabled)
      throw Error(ErrorKind::Config,
                  "Performance monitoring is disabled; enable it with performance.enabled = true in the config or "
                  "GIFLAB_ENABLE_PERFORMANCE_MONITORING=true");
    int done = 0;
    json last;
    MonitorPace pace(perf);
    while (!interruptFlag().load() && (cycles_ <= 0 || done < cycles_)) {
      const auto started = std::chrono::steady_clock::now();
      CycleResult r;
      try {
        r = runBlocking([&](Cancellation c) { return runMonitorCycle(engine_, c, progress); }, &interruptFlag());
      } catch (const Error& e) {
        if (e.kind() == ErrorKind::Cancelled) break;
        throw;
      }
      ++done;
      last = r;
      for (const auto& ev : r.events) printEvent(ev);
      for (const auto& ev : r.budgetEvents)
        std::printf("%s\n", json_ ? budgetJson(ev).dump(-1, ' ', false, json::error_handler_t::replace).c_str()
                                  : (std::string(kBudgetSignalNames.name(ev.kind)) + " " + budgetText(ev)).c_str());
      if (r.environment) printEnvironment(*r.environment);
      if (!json_)
        std::printf("cycle %d: %s\n", done, std::string(kCheckResultNames.name(r.check.result())).c_str());
      std::fflush(stdout);
      if (cycles_ > 0 && done >= cycles_) break;
      const Pace before = pace.current();
      if (const Pace& now = pace.next(r); now.seconds != before.seconds && !json_)
        std::printf("next cycle in %ld s (%s)\n", now.seconds, now.reason.c_str());
      const auto next = started + std::chrono::seconds(pace.current().seconds);
      while (!interruptFlag().load() && std::chrono::steady_clock::now() < next)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return {{"state", bus::kMonitorStateNames.name(bus::MonitorState::Stopped)}, {"cycles", done}, {"last_cycle", last}};
  }

 private:
  void printEnvironment(const EnvironmentEvent& ev) {
    if (json_)
      std::printf("%s\n", json{{"signal", "EnvironmentChanged"}, {"factor", ev.factor},
                               {"control_current", ev.controlCurrent}, {"control_baseline", ev.controlBaseline},
                               {"timestamp", ev.timestamp}}
                              .dump()
                              .c_str());
    else
      std::printf("EnvironmentChanged %.3f %s\n", ev.factor,
                  describeMachine(ev.factor, ev.controlCurrent, ev.controlBaseline).c_str());
  }

  void printEvent(const AlertEvent& ev) {
    if (json_)
      std::printf("%s\n", alertJson(ev).dump(-1, ' ', false, json::error_handler_t::replace).c_str());
    else
      std::printf("%s %s\n", std::string(kAlertSignalNames.name(ev.kind)).c_str(), alertText(ev).c_str());
  }

  Engine engine_;
  int cycles_;
  bool json_;
};

}  // namespace

std::unique_ptr<Backend> makeLocalBackend(Engine engine, int monitorCycles, bool json) {
  return std::make_unique<LocalBackend>(std::move(engine), monitorCycles, json);
}

}  // namespace giflab::cli
