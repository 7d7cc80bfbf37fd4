#pragma once
// Real parts for the daemon tests: a private system-type dbus-daemon that
// includes the shipped policy file, the real giflab-perfd binary (with a
// NOTIFY_SOCKET to read its sd_notify messages), and clients run as root, as
// a member of giflab-perf and as nobody.
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/test_support.hpp"

namespace giflab::test {

std::filesystem::path perfd();
bool haveRoot();
bool haveJournal();
bool haveTestUser();  // giflab-perf-tester, member of giflab-perf (scripts/test-services.sh)

class PrivateBus {
 public:
  enum class Policy { Shipped, AllowAll };
  explicit PrivateBus(Policy policy = Policy::Shipped);
  ~PrivateBus();
  PrivateBus(const PrivateBus&) = delete;
  const std::string& address() const { return address_; }

 private:
  TempDir dir_;
  pid_t pid_ = -1;
  std::string address_;
};

class DaemonProcess {
 public:
  DaemonProcess(const PrivateBus& bus, const std::filesystem::path& config, const std::filesystem::path& state,
                std::vector<std::string> extraEnv = {});
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;

  bool waitReady(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  void signal(int sig) const;
  // Exit code, or -1 when it did not exit in time.
  int waitExit(std::chrono::milliseconds timeout);
  bool running() const;
  std::string log() const;
  std::vector<std::string> notifications();  // sd_notify datagrams received so far
  pid_t pid() const { return pid_; }

 private:
  TempDir dir_;
  pid_t pid_ = -1;
  int notifyFd_ = -1;
  bool exited_ = false;
  // Drains the notify socket as systemd does, so the daemon never blocks on it.
  mutable std::mutex notesMutex_;
  std::vector<std::string> notes_;
  std::atomic<bool> stopReader_{false};
  std::thread reader_;
};

// A program against the private bus (via DBUS_SYSTEM_BUS_ADDRESS), as
// root, or through setpriv as another user ("nobody" or a user name).
ProcessResult runOnBus(const PrivateBus& bus, const std::vector<std::string>& argv, const std::string& asUser = "");
// busctl against the private bus, as root.
ProcessResult busctl(const PrivateBus& bus, std::vector<std::string> args);
// giflab-perfctl, the same way.
ProcessResult perfctlOnBus(const PrivateBus& bus, std::vector<std::string> args, const std::string& asUser = "");

// A background `giflab-perfctl watch --json`: collects its lines.
class Watcher {
 public:
  explicit Watcher(const PrivateBus& bus);
  ~Watcher();
  std::vector<std::string> lines() const;
  bool waitFor(const std::string& needle, std::chrono::milliseconds timeout) const;
  int stop();  // SIGINT; its exit code

 private:
  TempDir dir_;
  pid_t pid_ = -1;
};

// `journalctl -o json FIELD=value`, one JSON object a line, retried until
// at least `atLeast` entries show up or the timeout passes.
std::vector<std::string> journalEntries(const std::string& match, size_t atLeast, std::chrono::milliseconds timeout);
// Entries matching all of the matches (journalctl's FIELD=VALUE, ANDed).
std::vector<std::string> journalEntries(const std::vector<std::string>& matches, size_t atLeast,
                                        std::chrono::milliseconds timeout);

// monitor.cycles from the daemon's status: the monitoring cycles that ran.
int monitorCycles(const PrivateBus& bus);


}  // namespace giflab::test
