#include "client/bus_backend.hpp"

#include "common/store/alert_state.hpp"
#include "common/detect/machine.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sdbus-c++/sdbus-c++.h>
#include <thread>

#include "client/terminal.hpp"
#include "org.giflab.Perf1.Job.proxy.h"
#include "org.giflab.Perf1.Manager.proxy.h"
#include "common/cycle/alert_view.hpp"
#include "common/base/bus_names.hpp"
#include "common/base/error.hpp"
#include "common/base/timeutil.hpp"

namespace giflab::cli {
using nlohmann::json;

namespace {

using bus::JobState;

std::string busName(BusTarget t) {
  return t == BusTarget::Session ? "session bus" : t == BusTarget::Address ? "given bus" : "system bus";
}

std::string notRunning(BusTarget t, const std::string& why) {
  const std::string start = t == BusTarget::Session ? "systemctl --user start giflab-perfd" : "systemctl start giflab-perfd";
  return "giflab-perfd is not running on the " + busName(t) + " (start it with " + start + ", or use --local)" +
         (why.empty() ? "" : " [" + why + "]");
}

// The socket of a "unix:path=..." bus address (the first such entry), or ""
// for any other kind of address.
std::string unixSocketOf(const std::string& address) {
  const std::string key = "unix:path=";
  const auto at = address.find(key);
  if (at == std::string::npos) return "";
  const auto end = address.find_first_of(",;", at + key.size());
  return address.substr(at + key.size(), end == std::string::npos ? std::string::npos : end - at - key.size());
}

// Whether something listens on the bus's unix socket. Checked before
// sdbus-c++ opens it: sdbus-c++ 1.2.0 leaks its sd_bus when the connection
// fails, and "no bus there" is the common case worth a clear answer.
bool busSocketAnswers(BusTarget target, const std::string& address) {
  std::string where = address;
  if (target != BusTarget::Address) {
    const char* env = std::getenv(target == BusTarget::Session ? "DBUS_SESSION_BUS_ADDRESS" : "DBUS_SYSTEM_BUS_ADDRESS");
    where = env && *env ? env : target == BusTarget::System ? "unix:path=/run/dbus/system_bus_socket" : "";
  }
  const std::string path = unixSocketOf(where);
  if (path.empty() || path.size() >= sizeof(sockaddr_un{}.sun_path)) return true;  // sdbus-c++ decides
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return true;
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) == 0;
  ::close(fd);
  return ok;
}

// RegressionDetected's arguments as the alert the daemon sent.
AlertEvent detectedFromSignal(const std::string& scenario, const std::string& metric, const std::string& severity,
                              double regression, const std::map<std::string, sdbus::Variant>& details) {
  auto d = [&](const char* k) { return details.count(k) ? details.at(k).get<double>() : 0.0; };
  auto text = [&](const char* k) { return details.count(k) ? details.at(k).get<std::string>() : std::string(); };
  AlertEvent event{AlertEvent::Kind::Detected, {}, text("timestamp").empty() ? nowIso8601() : text("timestamp")};
  AlertEntry& a = event.entry;
  a.scenario = scenario;
  a.metric = metric;
  a.severity = kSeverityNames.parse(severity).value_or(Severity::Info);
  a.regression = regression;
  a.current = d("current");
  a.baseline = d("baseline");
  a.since = text("since");
  a.began = text("began");
  a.versionBefore = text("version_before");
  a.versionAfter = text("version_after");
  a.shiftLow = d("shift_low");
  a.shiftHigh = d("shift_high");
  a.threshold = d("threshold");
  return event;
}

// The manager through the proxy generated from dbus/org.giflab.Perf1.Manager.xml:
// a changed signature fails to compile here as in the daemon. Its signals
// arrive while the connection's pending messages are processed.
class ManagerProxy final : public sdbus::ProxyInterfaces<org::giflab::Perf1::Manager_proxy> {
 public:
  explicit ManagerProxy(sdbus::IConnection& connection) : ProxyInterfaces(connection, bus::kName, bus::kManagerPath) {
    registerProxy();
  }
  ~ManagerProxy() { unregisterProxy(); }

  std::function<void(const AlertEvent&)> onAlert;
  std::function<void(double factor, const std::map<std::string, sdbus::Variant>& details)> onEnvironment;
  std::function<void(const std::string& job, const std::string& state)> onJobEnd;
  std::function<void(const BudgetEvent&)> onBudget;

 private:
  void onBudgetExceeded(const std::string& scenario, const std::string& metric, const double& value,
                        const double& budget) override {
    if (onBudget) onBudget({BudgetEvent::Kind::Exceeded, {scenario, metric, value, budget, "", 0}, nowIso8601()});
  }
  void onBudgetRestored(const std::string& scenario, const std::string& metric) override {
    if (onBudget) onBudget({BudgetEvent::Kind::Restored, {scenario, metric, 0, 0, "", 0}, nowIso8601()});
  }
  void onRegressionDetected(const std::string& scenario, const std::string& metric, const std::string& severity,
                            const double& regression, const std::map<std::string, sdbus::Variant>& details) override {
    if (onAlert) onAlert(detectedFromSignal(scenario, metric, severity, regression, details));
  }
  void onRegressionResolved(const std::string& scenario, const std::string& metric) override {
    if (!onAlert) return;
    AlertEvent event{AlertEvent::Kind::Resolved, {}, nowIso8601()};
    event.entry.scenario = scenario;
    event.entry.metric = metric;
    onAlert(event);
  }
  void onEnvironmentChanged(const double& factor, const std::map<std::string, sdbus::Variant>& details) override {
    if (onEnvironment) onEnvironment(factor, details);
  }
  void onJobFinished(const sdbus::ObjectPath& job, const std::string& state) override {
    if (onJobEnd) onJobEnd(job, state);
  }
};

// A job, followed by its PropertiesChanged.
class JobProxy final : public sdbus::ProxyInterfaces<org::giflab::Perf1::Job_proxy, sdbus::Properties_proxy> {
 public:
  JobProxy(sdbus::IConnection& connection, const sdbus::ObjectPath& path)
      : ProxyInterfaces(connection, bus::kName, path) {
    registerProxy();
  }
  ~JobProxy() { unregisterProxy(); }

  std::function<void(const std::map<std::string, sdbus::Variant>& changed)> onChange;

 private:
  void onPropertiesChanged(const std::string& interfaceName, const std::map<std::string, sdbus::Variant>& changed,
                           const std::vector<std::string>&) override {
    if (interfaceName == bus::kJobInterface && onChange) onChange(changed);
  }
};

class BusBackend final : public Backend {
 public:
  BusBackend(BusTarget target, const std::string& address) : target_(target) {
    if (!busSocketAnswers(target, address))
      throw Error(ErrorKind::Internal, notRunning(target, "no bus listens at " + (target == BusTarget::Address ? address : busName(target))));
    try {
      connection_ = target == BusTarget::Session   ? sdbus::createSessionBusConnection()
                    : target == BusTarget::Address ? sdbus::createSessionBusConnectionWithAddress(address)
                                                   : sdbus::createSystemBusConnection();
      manager_ = std::make_unique<ManagerProxy>(*connection_);
    } catch (const sdbus::Error& e) {
      throw Error(ErrorKind::Internal, notRunning(target, e.getMessage()));
    }
  }

  // Any call, with the bus's errors turned into ones a person can act on.
  template <typename F>
  auto guarded(const std::string& what, F&& f) -> decltype(f()) {
    try {
      return f();
    } catch (const sdbus::Error& e) {
      const std::string& n = e.getName();
      if (bus::isOurError(n)) throw Error(bus::errorKindOf(n), e.getMessage());
      if (n == "org.freedesktop.DBus.Error.ServiceUnknown" || n == "org.freedesktop.DBus.Error.NameHasNoOwner" ||
          n == "org.freedesktop.DBus.Error.NoReply" || n == "org.freedesktop.DBus.Error.Disconnected")
        throw Error(ErrorKind::Internal, notRunning(target_, ""));
      if (n == "org.freedesktop.DBus.Error.AccessDenied")
        throw Error(ErrorKind::AccessDenied, "the bus policy refuses " + what +
                                                 " to this user: run as root or join group giflab-perf (" +
                                                 e.getMessage() + ")");
      throw Error(ErrorKind::Internal, what + " failed: " + e.getMessage() + " (" + n + ")");
    }
  }

  json callJson(const std::string& what, auto call) {
    return guarded(what, [&] { return json::parse(call()); });
  }

  json runJob(const std::string& what, const ProgressFn& progress, auto start) {
    const sdbus::ObjectPath path = guarded(what, start);
    return waitForJob(path, progress);
  }

  // Handles what arrived on the connection (signals), waiting up to timeout for it.
  void dispatch(std::chrono::milliseconds timeout) {
    const auto pd = connection_->getEventLoopPollData();
    pollfd p{pd.fd, pd.events, 0};
    ::poll(&p, 1, static_cast<int>(timeout.count()));
    while (connection_->processPendingRequest()) {
    }
  }

  // Follows a job by its signals: PropertiesChanged moves the progress bar,
  // JobFinished (or a final State) ends the wait. Its properties are read
  // once after subscribing (it may have moved on before), and once more only
  // if its end came without its result.
  json waitForJob(const sdbus::ObjectPath& path, const ProgressFn& progress) {
    JobProxy job(*connection_, path);
    std::map<std::string, sdbus::Variant> props;
    bool endSignalled = false;
    auto state = [&] {
      return bus::kJobStateNames.parse(props.count("State") ? props.at("State").get<std::string>() : "")
          .value_or(JobState::Queued);
    };
    auto show = [&] {
      if (!progress || !props.count("Progress") || !props.count("Message")) return;
      progress(props.at("Progress").get<double>(),
               (state() == JobState::Queued ? "queued: " : "") + props.at("Message").get<std::string>());
    };
    job.onChange = [&](const std::map<std::string, sdbus::Variant>& changed) {
      for (const auto& [k, v] : changed) props[k] = v;
      show();
    };
    manager_->onJobEnd = [&](const std::string& p, const std::string&) { endSignalled |= p == path; };
    auto readAll = [&] {
      props = guarded("reading job " + path, [&] { return job.GetAll(bus::kJobInterface); });
      show();
    };
    auto finished = [&] { return state() != JobState::Queued && state() != JobState::Running; };
    readAll();
    bool cancelSent = false;
    while (!finished() && !endSignalled) {
      if (interruptFlag().load() && !cancelSent) {
        // Ctrl-C cancels the job this client started, then waits for it to end.
        guarded("cancelling job " + path, [&] {
          job.Cancel();
          return 0;
        });
        cancelSent = true;
      }
      dispatch(std::chrono::milliseconds(200));
    }
    manager_->onJobEnd = nullptr;
    if (!finished() || !props.count(state() == JobState::Succeeded ? "Result" : "ErrorName")) readAll();
    switch (state()) {
      case JobState::Succeeded: return json::parse(props.at("Result").get<std::string>());
      case JobState::Cancelled: throw Error(ErrorKind::Cancelled, props.at("ErrorMessage").get<std::string>());
      case JobState::Failed:
        throw Error(bus::errorKindOf(props.at("ErrorName").get<std::string>()),
                    props.at("ErrorMessage").get<std::string>());
      case JobState::Queued:
      case JobState::Running: break;
    }
    throw Error(ErrorKind::Internal, "job " + std::string(path) +
                                         " ended without a final state; see 'giflab-perfctl status' and the daemon's "
                                         "journal (journalctl -u giflab-perfd)");
  }

  auto read(const std::string& property, auto get) { return guarded("reading " + property, get); }

  json status(bool verbose) override {
    return callJson("GetStatus", [&] { return manager_->GetStatus(verbose); });
  }
  json baselineCreate(const std::vector<std::string>& s, std::optional<int> it, const ProgressFn& p) override {
    return runJob("CreateBaselines", p, [&] { return manager_->CreateBaselines(s, static_cast<uint32_t>(it.value_or(0))); });
  }
  json baselineUpdate(const std::vector<std::string>& s, std::optional<int> it, const ProgressFn& p) override {
    return runJob("UpdateBaselines", p, [&] { return manager_->UpdateBaselines(s, static_cast<uint32_t>(it.value_or(0))); });
  }
  json baselineList() override {
    return callJson("ListBaselines", [&] { return manager_->ListBaselines(); });
  }
  json baselineClear(const std::vector<std::string>& s) override {
    return callJson("ClearBaselines", [&] { return manager_->ClearBaselines(s); });
  }
  json history(const HistoryQuery& q) override {
    std::map<std::string, sdbus::Variant> options{{"min_change", sdbus::Variant(q.changeOptions.minRelativeChange)},
                                                  {"sensitivity", sdbus::Variant(q.changeOptions.alpha)}};
    if (q.version) options.emplace("version", sdbus::Variant(*q.version));
    if (q.environment) options.emplace("environment", sdbus::Variant(*q.environment));
    return callJson("GetHistoryEx", [&] {
      return manager_->GetHistoryEx(q.scenario.value_or(""), q.metric.value_or(""), static_cast<uint32_t>(q.days),
                                    q.trend, q.changes, options);
    });
  }
  json validate(const ProgressFn& p) override {
    return runJob("Validate", p, [&] { return manager_->Validate(); });
  }
  json ci(const CheckOptions& o, const ProgressFn& p) override {
    return runJob("RunCi", p, [&] { return manager_->RunCi(o.action, o.threshold.value_or(0.0), o.scenarios); });
  }
  json deps() override {
    json d = callJson("CheckDependencies", [&] { return manager_->CheckDependencies(); });
    d["checks"].insert(d["checks"].begin(),
                       json{{"check", "daemon"}, {"ok", true},
                            {"detail", "giflab-perfd " + read("Version", [&] { return manager_->Version(); }) +
                                           " on the " + busName(target_)}});
    return d;
  }
  json monitor(const std::string& action, const ProgressFn&) override {
    if (action == "start" || action == "stop")
      guarded(action == "start" ? "monitor start" : "monitor stop", [&] {
        if (action == "start") manager_->StartMonitor();
        else manager_->StopMonitor();
        return 0;
      });
    json out = {{"state", read("MonitorState", [&] { return manager_->MonitorState(); })},
                {"enabled", read("Enabled", [&] { return manager_->Enabled(); })},
                {"interval", read("MonitorInterval", [&] { return manager_->MonitorInterval(); })}};
    const auto last = read("LastCycle", [&] { return manager_->LastCycle(); });
    const auto next = read("NextCycle", [&] { return manager_->NextCycle(); });
    if (!last.empty()) out["last_cycle"] = last;
    if (!next.empty()) out["next_cycle"] = next;
    return out;
  }

  int watch(bool notify, bool asJson) {
    read("Version", [&] { return manager_->Version(); });  // fails with the "not running" advice when it is not
    std::unique_ptr<sdbus::IConnection> session;
    std::unique_ptr<sdbus::IProxy> notifier;
    if (notify) {
      try {
        session = sdbus::createSessionBusConnection();
        notifier = sdbus::createProxy(*session, "org.freedesktop.Notifications", "/org/freedesktop/Notifications");
      } catch (const sdbus::Error& e) {
        throw Error(ErrorKind::Internal, "--notify needs a session bus with a notification server: " + e.getMessage());
      }
    }
    manager_->onAlert = [&](const AlertEvent& event) {
      show(event, asJson);
      if (notifier && event.kind == AlertEvent::Kind::Detected)
        sendNotification(*notifier, alertNotification(event.entry));
    };
    manager_->onEnvironment = [&](double factor, const std::map<std::string, sdbus::Variant>& details) {
      auto d = [&](const char* k) { return details.count(k) ? details.at(k).get<double>() : 0.0; };
      const std::string ts = details.count("timestamp") ? details.at("timestamp").get<std::string>() : nowIso8601();
      if (asJson)
        std::printf("%s\n", json{{"signal", "EnvironmentChanged"}, {"factor", factor},
                                 {"control_current", d("control_current")},
                                 {"control_baseline", d("control_baseline")}, {"timestamp", ts}}
                                .dump(-1, ' ', false, json::error_handler_t::replace)
                                .c_str());
      else
        std::printf("%s %s %s\n", ts.c_str(), Style::paint("EnvironmentChanged", Color::Yellow).c_str(),
                    describeMachine(factor, d("control_current"), d("control_baseline")).c_str());
      std::fflush(stdout);
    };
    manager_->onBudget = [&](const BudgetEvent& event) {
      if (asJson)
        std::printf("%s\n", budgetJson(event).dump(-1, ' ', false, json::error_handler_t::replace).c_str());
      else
        std::printf("%s %s %s\n", event.timestamp.c_str(),
                    Style::paint(std::string(kBudgetSignalNames.name(event.kind)),
                                 event.kind == BudgetEvent::Kind::Exceeded ? Color::Red : Color::Green)
                        .c_str(),
                    budgetText(event).c_str());
      std::fflush(stdout);
    };
    // On stderr also with --json: the subscription is in place once it shows,
    // which scripts (and the tests) can wait for.
    std::fprintf(stderr, "Watching giflab-perfd on the %s for regression signals; Ctrl-C stops.\n", busName(target_).c_str());
    while (!interruptFlag().load()) dispatch(std::chrono::milliseconds(200));
    return 0;
  }

 private:
  static void show(const AlertEvent& event, bool asJson) {
    if (asJson) {
      std::printf("%s\n", alertJson(event).dump(-1, ' ', false, json::error_handler_t::replace).c_str());
    } else {
      const Color c = event.kind == AlertEvent::Kind::Resolved      ? Color::Green
                      : event.entry.severity == Severity::Critical ? Color::Red
                      : event.entry.severity == Severity::Warning  ? Color::Yellow
                                                                    : Color::Bold;
      std::printf("%s %s %s\n", event.timestamp.c_str(),
                  Style::paint(std::string(kAlertSignalNames.name(event.kind)), c).c_str(), alertText(event).c_str());
    }
    std::fflush(stdout);
  }

  static void sendNotification(sdbus::IProxy& n, const Notification& note) {
    std::map<std::string, sdbus::Variant> hints{{"urgency", sdbus::Variant(note.urgency)},
                                                {"category", sdbus::Variant(std::string("giflab.regression"))}};
    uint32_t id = 0;
    try {
      n.callMethod("Notify")
          .onInterface("org.freedesktop.Notifications")
          .withArguments(std::string("giflab-perfd"), uint32_t{0}, std::string("dialog-warning"), note.summary, note.body,
                         std::vector<std::string>{}, hints, int32_t{-1})
          .storeResultsTo(id);
    } catch (const sdbus::Error& e) {
      std::fprintf(stderr, "warning: desktop notification failed: %s\n", e.getMessage().c_str());
    }
  }

  BusTarget target_;
  std::unique_ptr<sdbus::IConnection> connection_;
  std::unique_ptr<ManagerProxy> manager_;
};

}  // namespace

std::unique_ptr<Backend> makeBusBackend(BusTarget target, const std::string& address) {
  return std::make_unique<BusBackend>(target, address);
}

int runWatch(Backend& backend, bool notify, bool json) {
  auto* bus = dynamic_cast<BusBackend*>(&backend);
  if (!bus) throw Error(ErrorKind::InvalidArgument, "watch listens to the daemon's signals; drop --local");
  return bus->watch(notify, json);
}

}  // namespace giflab::cli
