#include "daemon/service.hpp"

#include "daemon/logging.hpp"
#include <systemd/sd-daemon.h>

#include <asio.hpp>

#include <malloc.h>
#include <csignal>
#include <thread>

#include "common/store/atomic_file.hpp"
#include "common/base/error.hpp"
#include "common/base/version.hpp"
#include "daemon/bus_loop.hpp"
#include "daemon/manager.hpp"

namespace giflab::daemon {
namespace fs = std::filesystem;

namespace {

std::unique_ptr<sdbus::IConnection> connect(const ServiceOptions& o) {
  switch (o.bus) {
    case ServiceOptions::Bus::Session: return sdbus::createSessionBusConnection();
    case ServiceOptions::Bus::Address: return sdbus::createSessionBusConnectionWithAddress(o.address);
    case ServiceOptions::Bus::System: break;
  }
  return sdbus::createSystemBusConnection();
}

const char* busDescription(const ServiceOptions& o) {
  return o.bus == ServiceOptions::Bus::Session ? "session bus" : o.bus == ServiceOptions::Bus::Address ? "given bus" : "system bus";
}

class Service {
 public:
  explicit Service(const ServiceOptions& o)
      : options_(o),
        userMode_(o.bus != ServiceOptions::Bus::System),
        configPath_(o.config.value_or(defaultConfigPath(userMode_))),
        stateDir_(o.stateDir.value_or(defaultStateDir(userMode_))) {}

  int run() {
    const std::shared_ptr<Engine> engine = startEngine();
    if (!engine) return 2;
    const std::unique_ptr<sdbus::IConnection> connection = openBus();
    if (!connection) return 1;
    asio::io_context io;
    BusLoop loop(io, *connection);
    io_ = &io;
    removeStaleFiles();
    std::unique_ptr<Manager> manager = makeManager(io, *connection, loop, engine);
    if (!manager) return 2;
    manager_ = manager.get();
    if (!ownName(*connection)) return 1;
    asio::steady_timer stopDeadline(io);
    // Without its bus the daemon can neither be asked nor tell anyone: it
    // stops its job and exits non-zero, and systemd (Restart=on-failure)
    // starts it again once the bus is back.
    int exitCode = 0;
    loop.start([this, &stopDeadline, &exitCode](const std::string& why) {
      if (stopping_) {  // the bus went first on the way down: nothing is lost
        logInfo("The {} closed the connection while stopping: {}", busDescription(options_), why);
        return;
      }
      logCritical("Lost the connection to the {}: {}; stopping (systemd restarts the service once the bus is back)",
                  busDescription(options_), why);
      exitCode = 1;
      stop(stopDeadline);
    });
    if (!stopping_) {  // else the bus was lost at once and the stop is under way: never ready
      manager->startMonitoringIfEnabled();
      logInfo("giflab-perfd {} ready on the {} as {}, config {}, state {}", kVersion, busDescription(options_),
              bus::kName, configPath_.string(), stateDir_.string());
      sd_notifyf(0, "READY=1\nSTATUS=%s", manager->statusLine().c_str());
    }
    asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
    awaitSignal(signals, stopDeadline);
    asio::steady_timer watchdog(io);
    if (uint64_t usec = 0; sd_watchdog_enabled(0, &usec) > 0 && usec > 0) petWatchdog(watchdog, std::chrono::microseconds(usec / 2));
    io.run();
    if (reloadThread_.joinable()) reloadThread_.join();
    loop.stop();
    manager_ = nullptr;
    manager.reset();
    logInfo("Stopped");
    return exitCode;
  }

 private:
  std::shared_ptr<Engine> startEngine() {
    try {
      return std::make_shared<Engine>(loadConfigForStart(), stateDir_);
    } catch (const Error& e) {
      logCritical("{}", e.what());
      return nullptr;
    }
  }

  std::unique_ptr<sdbus::IConnection> openBus() {
    try {
      return connect(options_);
    } catch (const sdbus::Error& e) {
      logCritical("Cannot connect to the {}: {} ({}); check that the bus runs (systemctl status dbus, or "
                       "systemctl --user status dbus.socket for --user) or pass --address ADDRESS",
                       busDescription(options_), e.getMessage(), e.getName());
      return nullptr;
    }
  }

  std::unique_ptr<Manager> makeManager(asio::io_context& io, sdbus::IConnection& connection, BusLoop& loop,
                                       std::shared_ptr<Engine> engine) {
    Manager::Hooks hooks;
    hooks.reload = [this](std::function<void(std::exception_ptr)> done) { reload(std::move(done)); };
    // Only a changed line is sent: property changes come in bursts.
    hooks.statusLine = [last = std::string()](const std::string& line) mutable {
      if (line == last) return;
      last = line;
      sd_notifyf(0, "STATUS=%s", line.c_str());
    };
    try {
      return std::make_unique<Manager>(io, connection, loop, std::move(engine), hooks);
    } catch (const Error& e) {
      logCritical("{}", e.what());
      return nullptr;
    }
  }

  bool ownName(sdbus::IConnection& connection) {
    try {
      connection.requestName(bus::kName);
      return true;
    } catch (const sdbus::Error& e) {
      logCritical("Cannot own {} on the {}: {} (is another giflab-perfd running, or does the bus policy "
                       "allow this user to own the name?)",
                       bus::kName, busDescription(options_), e.getMessage());
      return false;
    }
  }

  // SIGHUP reloads; SIGINT and SIGTERM stop: the running job's children are
  // killed at once and its coroutine ends as cancelled; the deadline only
  // guards against a job that does not.
  void awaitSignal(asio::signal_set& signals, asio::steady_timer& stopDeadline) {
    signals.async_wait([this, &signals, &stopDeadline](const asio::error_code& ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP) {
        reload([](std::exception_ptr) {});  // reload() logs why a config was refused; the running one stays
        awaitSignal(signals, stopDeadline);
        return;
      }
      logInfo("Received {}, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      stop(stopDeadline);
    });
  }

  void stop(asio::steady_timer& stopDeadline) {
    if (stopping_) return;
    stopping_ = true;
    sd_notify(0, "STOPPING=1");
    stopDeadline.expires_after(std::chrono::seconds(3));
    stopDeadline.async_wait([this](const asio::error_code& e) {
      if (e) return;
      logWarning("The running job did not end within 3 s of the stop request; stopping anyway");
      io_->stop();
    });
    manager_->shutDown([this] { io_->stop(); });
  }

  void petWatchdog(asio::steady_timer& timer, std::chrono::microseconds every) {
    sd_notify(0, "WATCHDOG=1");
    timer.expires_after(every);
    timer.async_wait([this, &timer, every](const asio::error_code& e) {
      if (!e) petWatchdog(timer, every);
    });
  }

  Config loadConfigForStart() {
    std::error_code ec;
    if (!options_.config && !fs::exists(configPath_, ec)) {
      logWarning("No config at {}: running with the defaults and no scenarios; create it and reload", configPath_.string());
      Config c;
      applyEnvironmentOverrides(c);
      return c;
    }
    return loadConfig(configPath_);
  }

  // Reads the config on a thread of its own (a slow disk must not stop the
  // bus), then applies it on the loop and calls done there.
  void reload(std::function<void(std::exception_ptr)> done) {
    if (reloading_) {
      done(std::make_exception_ptr(Error(ErrorKind::Busy, "a reload is already in progress; try again in a moment")));
      return;
    }
    reloading_ = true;
    sd_notify(0, "RELOADING=1");
    if (reloadThread_.joinable()) reloadThread_.join();  // the last one has posted its result: it is done
    reloadThread_ = std::thread([this, path = configPath_, done = std::move(done)]() mutable {
      std::shared_ptr<Config> loaded;
      std::exception_ptr error;
      try {
        loaded = std::make_shared<Config>(loadConfig(path));
      } catch (...) {
        error = std::current_exception();
      }
      asio::post(*io_, [this, loaded, error, done = std::move(done)]() mutable {
        reloading_ = false;
        try {
          if (error) std::rethrow_exception(error);
          manager_->setEngine(std::make_shared<Engine>(std::move(*loaded), stateDir_));
          logInfo("Configuration reloaded from {}", configPath_.string());
          sd_notifyf(0, "READY=1\nSTATUS=%s", manager_->statusLine().c_str());
        } catch (const std::exception& e) {
          logError("Reload failed, keeping the running config: {}", e.what());
          sd_notify(0, "READY=1");
          error = std::current_exception();
        }
        done(error);
      });
    });
  }

  // A daemon killed while it replaced a state file leaves the temporary
  // file behind; nothing else will ever remove it.
  void removeStaleFiles() {
    const size_t n = removeStaleTemporaryFiles(stateDir_, {"baselines.json", "alerts.json", "history.jsonl", "monitor.json"},
                                               std::chrono::seconds(60));
    if (n) logInfo("Removed {} stale temporary file(s) left in {} by an interrupted write", n, stateDir_.string());
  }

  ServiceOptions options_;
  bool userMode_;
  fs::path configPath_;
  fs::path stateDir_;
  Manager* manager_ = nullptr;
  asio::io_context* io_ = nullptr;
  bool reloading_ = false;
  bool stopping_ = false;
  std::thread reloadThread_;
};

}  // namespace

int runService(const ServiceOptions& options) {
  std::signal(SIGPIPE, SIG_IGN);
  // Fixed thresholds (glibc raises both on its own after the first large
  // free, and then keeps such buffers in the heap for good): a history read
  // or a status answer of a few hundred kilobytes is mapped and unmapped, and
  // a freed heap top over 64 KB is returned at once. The daemon is idle for
  // hours between cycles; its footprint then is what it keeps.
  ::mallopt(M_MMAP_THRESHOLD, 64 * 1024);
  ::mallopt(M_TRIM_THRESHOLD, 64 * 1024);
  return Service(options).run();
}

}  // namespace giflab::daemon
