#include "client/bus_backend.hpp"

#include "common/alert_state.hpp"
#include "common/machine.hpp"

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
#include "common/alert_view.hpp"
#include "common/error.hpp"
#include "common/timeutil.hpp"

namespace giflab::cli {
using nlohmann::json;

namespace {

constexpr const char* kBusName = "org.giflab.Perf1";
constexpr const char* kPath = "/org/giflab/Perf1";
constexpr const char* kManager = "org.giflab.Perf1.Manager";
constexpr const char* kJob = "org.giflab.Perf1.Job";
constexpr const char* kOurErrors = "org.giflab.Perf1.Error.";

std::string busName(BusTarget t) {
  return t == BusTarget::Session ? "session bus" : t == BusTarget::Address ? "given bus" : "system bus";
}

std::string notRunning(BusTarget t, const std::string& why) {
  const std::string start = t == BusTarget::Session ? "systemctl --user start giflab-perfd" : "systemctl start giflab-perfd";
  return "giflab-perfd is not running on the " + busName(t) + " (start it with " + start + ", or use --local)" +
         (why.empty() ? "" : " [" + why + "]");
}

ErrorKind kindFromBusName(const std::string& name) {
  if (name.rfind(kOurErrors, 0) != 0) return ErrorKind::Internal;
  const std::string kind = name.substr(std::string(kOurErrors).size());
  for (ErrorKind k : {ErrorKind::InvalidArgument, ErrorKind::Config, ErrorKind::NoBaselines, ErrorKind::BaselineCorrupt,
                      ErrorKind::InsufficientSamples, ErrorKind::ScenarioFailed, ErrorKind::UnknownScenario,
                      ErrorKind::Storage, ErrorKind::Cancelled, ErrorKind::AccessDenied, ErrorKind::Busy})
    if (kind == errorKindName(k)) return k;
  return ErrorKind::Internal;
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

class BusBackend final : public Backend {
 public:
  BusBackend(BusTarget target, const std::string& address) : target_(target) {
    if (!busSocketAnswers(target, address))
      throw Error(ErrorKind::Internal, notRunning(target, "no bus listens at " + (target == BusTarget::Address ? address : busName(target))));
    try {
      connection_ = target == BusTarget::Session   ? sdbus::createSessionBusConnection()
                    : target == BusTarget::Address ? sdbus::createSessionBusConnectionWithAddress(address)
                                                   : sdbus::createSystemBusConnection();
      proxy_ = sdbus::createProxy(*connection_, kBusName, kPath);
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
      if (n.rfind(kOurErrors, 0) == 0) throw Error(kindFromBusName(n), e.getMessage());
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

  json callJson(const std::string& method, auto... args) {
    return guarded(method, [&] {
      std::string out;
      proxy_->callMethod(method).onInterface(kManager).withArguments(args...).storeResultsTo(out);
      return json::parse(out);
    });
  }

  json runJob(const std::string& method, const ProgressFn& progress, auto... args) {
    const sdbus::ObjectPath path = guarded(method, [&] {
      sdbus::ObjectPath p;
      proxy_->callMethod(method).onInterface(kManager).withArguments(args...).storeResultsTo(p);
      return p;
    });
    return waitForJob(path, progress);
  }

  json waitForJob(const sdbus::ObjectPath& path, const ProgressFn& progress) {
    auto job = sdbus::createProxy(*connection_, kBusName, path);
    bool cancelSent = false;
    for (;;) {
      std::map<std::string, sdbus::Variant> props;
      guarded("reading job " + path, [&] {
        job->callMethod("GetAll").onInterface("org.freedesktop.DBus.Properties").withArguments(std::string(kJob)).storeResultsTo(props);
        return 0;
      });
      const auto state = props.at("State").get<std::string>();
      if (state == "succeeded") return json::parse(props.at("Result").get<std::string>());
      if (state == "failed" || state == "cancelled") {
        const auto name = props.at("ErrorName").get<std::string>();
        throw Error(state == "cancelled" ? ErrorKind::Cancelled : kindFromBusName(name),
                    props.at("ErrorMessage").get<std::string>());
      }
      if (progress)
        progress(props.at("Progress").get<double>(),
                 (state == "queued" ? "queued: " : "") + props.at("Message").get<std::string>());
      if (interruptFlag().load() && !cancelSent) {
        // Ctrl-C cancels the job this client started, then waits for it to end.
        guarded("cancelling job " + path, [&] {
          job->callMethod("Cancel").onInterface(kJob);
          return 0;
        });
        cancelSent = true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  template <typename T>
  T property(const std::string& name) {
    return guarded("reading " + name, [&]() -> T {
      const sdbus::Variant v = proxy_->getProperty(name).onInterface(kManager);
      return v.template get<T>();
    });
  }

  json status(bool verbose) override { return callJson("GetStatus", verbose); }
  json baselineCreate(const std::vector<std::string>& s, std::optional<int> it, const ProgressFn& p) override {
    return runJob("CreateBaselines", p, s, static_cast<uint32_t>(it.value_or(0)));
  }
  json baselineUpdate(const std::vector<std::string>& s, std::optional<int> it, const ProgressFn& p) override {
    return runJob("UpdateBaselines", p, s, static_cast<uint32_t>(it.value_or(0)));
  }
  json baselineList() override { return callJson("ListBaselines"); }
  json baselineClear(const std::vector<std::string>& s) override { return callJson("ClearBaselines", s); }
  json history(const HistoryQuery& q) override {
    const std::map<std::string, sdbus::Variant> options{{"min_change", sdbus::Variant(q.changeOptions.minRelativeChange)},
                                                        {"sensitivity", sdbus::Variant(q.changeOptions.alpha)}};
    return callJson("GetHistoryEx", q.scenario.value_or(""), q.metric.value_or(""), static_cast<uint32_t>(q.days),
                    q.trend, q.changes, options);
  }
  json validate(const ProgressFn& p) override { return runJob("Validate", p); }
  json ci(const CheckOptions& o, const ProgressFn& p) override {
    return runJob("RunCi", p, o.action, o.threshold.value_or(0.0), o.scenarios);
  }
  json deps() override {
    json d = callJson("CheckDependencies");
    d["checks"].insert(d["checks"].begin(),
                       json{{"check", "daemon"}, {"ok", true},
                            {"detail", "giflab-perfd " + property<std::string>("Version") + " on the " + busName(target_)}});
    return d;
  }
  json monitor(const std::string& action, const ProgressFn&) override {
    if (action == "start" || action == "stop")
      guarded(action == "start" ? "monitor start" : "monitor stop", [&] {
        proxy_->callMethod(action == "start" ? "StartMonitor" : "StopMonitor").onInterface(kManager);
        return 0;
      });
    json out = {{"state", property<std::string>("MonitorState")},
                {"enabled", property<bool>("Enabled")},
                {"interval", property<uint64_t>("MonitorInterval")}};
    const auto last = property<std::string>("LastCycle"), next = property<std::string>("NextCycle");
    if (!last.empty()) out["last_cycle"] = last;
    if (!next.empty()) out["next_cycle"] = next;
    return out;
  }

  int watch(bool notify, bool asJson) {
    property<std::string>("Version");  // fails with the "not running" advice when it is not
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
    proxy_->uponSignal("RegressionDetected")
        .onInterface(kManager)
        .call([&](const std::string& scenario, const std::string& metric, const std::string& severity, double regression,
                  const std::map<std::string, sdbus::Variant>& details) {
          const AlertEvent event = detectedFromSignal(scenario, metric, severity, regression, details);
          show(event, asJson);
          if (notifier) sendNotification(*notifier, alertNotification(event.entry));
        });
    proxy_->uponSignal("RegressionResolved").onInterface(kManager).call([&](const std::string& scenario, const std::string& metric) {
      AlertEvent event{AlertEvent::Kind::Resolved, {}, nowIso8601()};
      event.entry.scenario = scenario;
      event.entry.metric = metric;
      show(event, asJson);
    });
    proxy_->uponSignal("EnvironmentChanged")
        .onInterface(kManager)
        .call([&](double factor, const std::map<std::string, sdbus::Variant>& details) {
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
        });
    proxy_->finishRegistration();
    // On stderr also with --json: the subscription is in place once it shows,
    // which scripts (and the tests) can wait for.
    std::fprintf(stderr, "Watching giflab-perfd on the %s for regression signals; Ctrl-C stops.\n", busName(target_).c_str());
    while (!interruptFlag().load()) {
      const auto pd = connection_->getEventLoopPollData();
      pollfd p{pd.fd, pd.events, 0};
      ::poll(&p, 1, 200);
      while (connection_->processPendingRequest()) {
      }
    }
    return 0;
  }

 private:
  // RegressionDetected's arguments as the alert the daemon sent.
  static AlertEvent detectedFromSignal(const std::string& scenario, const std::string& metric,
                                       const std::string& severity, double regression,
                                       const std::map<std::string, sdbus::Variant>& details) {
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
    a.shiftLow = d("shift_low");
    a.shiftHigh = d("shift_high");
    a.threshold = d("threshold");
    return event;
  }

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
  std::unique_ptr<sdbus::IProxy> proxy_;
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
