#include "tests/bus_fixture.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <sstream>
#include <stdexcept>

namespace giflab::test {
namespace fs = std::filesystem;

namespace {

int waitWithTimeout(pid_t pid, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int st = 0;
    const pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    if (std::chrono::steady_clock::now() > end) return -1;
    usleep(20000);
  }
}

std::vector<std::string> asUserPrefix(const std::string& user) {
  if (user.empty()) return {};
  if (user == "nobody") return {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
  return {"setpriv", "--reuid=" + user, "--regid=" + user, "--init-groups"};
}

}  // namespace

fs::path perfd() { return binDir() / "giflab-perfd"; }
bool haveRoot() { return ::geteuid() == 0; }
// A journald that has gone leaves its socket file behind, and sd_journal_send()
// to it fails silently: only a connect() tells whether one is listening.
bool haveJournal() {
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, "/run/systemd/journal/socket", sizeof address.sun_path - 1);
  const bool listening = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return listening;
}
bool haveTestUser() { return haveRoot() && ::getpwnam("giflab-perf-tester") != nullptr; }

PrivateBus::PrivateBus(Policy policy) {
  fs::permissions(dir_.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                   fs::perms::others_read | fs::perms::others_exec);
  const fs::path socket = dir_ / "system_bus_socket";
  const std::string shipped = (fs::path(GIFLAB_SOURCE_DIR) / "dbus/org.giflab.Perf1.conf").string();
  std::string defaultPolicy =
      policy == Policy::AllowAll
          ? "<policy context='default'><allow user='*'/><allow own='*'/><allow send_type='method_call'/>"
            "<allow send_type='signal'/><allow send_requested_reply='true' send_type='method_return'/>"
            "<allow send_requested_reply='true' send_type='error'/><allow receive_type='method_call'/>"
            "<allow receive_type='method_return'/><allow receive_type='error'/><allow receive_type='signal'/></policy>"
          // Debian's system.conf default policy, then the shipped file.
          : "<policy context='default'><allow user='*'/><deny own='*'/><deny send_type='method_call'/>"
            "<allow send_type='signal'/><allow send_requested_reply='true' send_type='method_return'/>"
            "<allow send_requested_reply='true' send_type='error'/><allow receive_type='method_call'/>"
            "<allow receive_type='method_return'/><allow receive_type='error'/><allow receive_type='signal'/>"
            "<allow send_destination='org.freedesktop.DBus' send_interface='org.freedesktop.DBus'/>"
            "<allow send_destination='org.freedesktop.DBus' send_interface='org.freedesktop.DBus.Introspectable'/>"
            "<allow send_destination='org.freedesktop.DBus' send_interface='org.freedesktop.DBus.Properties'/>"
            "</policy>"
            // As Debian's system.conf: root may monitor the bus (dbus-monitor).
            "<policy user='root'><allow send_destination='org.freedesktop.DBus' "
            "send_interface='org.freedesktop.DBus.Monitoring'/></policy><include>" + shipped + "</include>";
  writeFile(dir_ / "bus.conf",
            "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\" "
            "\"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n<busconfig><type>system</type>"
            "<listen>unix:path=" + socket.string() + "</listen><auth>EXTERNAL</auth>" + defaultPolicy +
                "<limit name='max_replies_per_connection'>128</limit></busconfig>\n");
  pid_ = spawnProcess({"dbus-daemon", "--config-file=" + (dir_ / "bus.conf").string(), "--nofork", "--nopidfile"}, {},
               dir_ / "bus.out", dir_ / "bus.err");
  address_ = "unix:path=" + socket.string();
  if (!eventually([&] { return fs::exists(socket); }, std::chrono::seconds(5)))
    throw std::runtime_error("dbus-daemon did not start: " + readFile(dir_ / "bus.err"));
}

PrivateBus::~PrivateBus() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    if (waitWithTimeout(pid_, std::chrono::seconds(3)) < 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
}

DaemonProcess::DaemonProcess(const PrivateBus& bus, const fs::path& config, const fs::path& state,
                             std::vector<std::string> extraEnv) {
  const fs::path notify = dir_ / "notify";
  notifyFd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, notify.c_str(), sizeof sa.sun_path - 1);
  if (bind(notifyFd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) throw std::runtime_error("bind notify socket");
  extraEnv.push_back("DBUS_SYSTEM_BUS_ADDRESS=" + bus.address());
  extraEnv.push_back("NOTIFY_SOCKET=" + notify.string());
  pid_ = spawnProcess({perfd().string(), "--system", "--config", config.string(), "--state-dir", state.string()}, extraEnv,
               dir_ / "out.log", dir_ / "daemon.log");
  reader_ = std::thread([this] {
    char buf[4096];
    while (!stopReader_.load()) {
      pollfd p{notifyFd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      for (ssize_t n; (n = recv(notifyFd_, buf, sizeof buf, 0)) > 0;) {
        std::lock_guard lock(notesMutex_);
        notes_.emplace_back(buf, static_cast<size_t>(n));
      }
    }
  });
}

DaemonProcess::~DaemonProcess() {
  if (!exited_ && pid_ > 0) {
    kill(pid_, SIGTERM);
    if (waitWithTimeout(pid_, std::chrono::seconds(6)) < 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  stopReader_ = true;
  if (reader_.joinable()) reader_.join();
  if (notifyFd_ >= 0) close(notifyFd_);
}

std::vector<std::string> DaemonProcess::notifications() {
  std::lock_guard lock(notesMutex_);
  return notes_;
}

bool DaemonProcess::waitReady(std::chrono::milliseconds timeout) {
  return eventually(
      [&] {
        for (const auto& n : notifications())
          if (n.find("READY=1") != std::string::npos) return true;
        return !running();
      },
      timeout) &&
         running();
}

void DaemonProcess::signal(int sig) const { kill(pid_, sig); }

int DaemonProcess::waitExit(std::chrono::milliseconds timeout) {
  const int rc = waitWithTimeout(pid_, timeout);
  if (rc >= 0) exited_ = true;
  return rc;
}

bool DaemonProcess::running() const { return !exited_ && kill(pid_, 0) == 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }

std::string DaemonProcess::log() const { return readFile(dir_ / "daemon.log"); }

ProcessResult runOnBus(const PrivateBus& bus, const std::vector<std::string>& command, const std::string& asUser) {
  std::vector<std::string> argv = asUserPrefix(asUser);
  if (!argv.empty()) argv.front() = "/usr/bin/setpriv";
  argv.insert(argv.end(), command.begin(), command.end());
  return run(argv, {"DBUS_SYSTEM_BUS_ADDRESS=" + bus.address(), "NO_COLOR=1"});
}

ProcessResult busctl(const PrivateBus& bus, std::vector<std::string> args) {
  args.insert(args.begin(), {"/usr/bin/busctl", "--address=" + bus.address()});
  return run(args);
}

ProcessResult perfctlOnBus(const PrivateBus& bus, std::vector<std::string> args, const std::string& asUser) {
  args.insert(args.begin(), perfctl().string());
  return runOnBus(bus, args, asUser);
}

int monitorCycles(const PrivateBus& bus) {
  const auto j = nlohmann::json::parse(perfctlOnBus(bus, {"status", "--json"}).out, nullptr, false);
  return j.is_discarded() ? -1 : j["monitor"].value("cycles", -1);
}

Watcher::Watcher(const PrivateBus& bus) {
  pid_ = spawnProcess({perfctl().string(), "watch", "--json"}, {"DBUS_SYSTEM_BUS_ADDRESS=" + bus.address()}, dir_ / "out",
               dir_ / "err");
  // It says so once its match rules are in place: nothing emitted later is missed.
  if (!eventually([&] { return readFile(dir_ / "err").find("Watching") != std::string::npos; }, std::chrono::seconds(10)))
    throw std::runtime_error("giflab-perfctl watch did not subscribe within 10 s: " + readFile(dir_ / "err"));
}

Watcher::~Watcher() {
  if (pid_ > 0) stop();
}

std::vector<std::string> Watcher::lines() const {
  std::vector<std::string> v;
  std::istringstream in(readFile(dir_ / "out"));
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) v.push_back(l);
  return v;
}

bool Watcher::waitFor(const std::string& needle, std::chrono::milliseconds timeout) const {
  return eventually([&] { return readFile(dir_ / "out").find(needle) != std::string::npos; }, timeout);
}

int Watcher::stop() {
  kill(pid_, SIGINT);
  const int rc = waitWithTimeout(pid_, std::chrono::seconds(5));
  if (rc < 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  pid_ = -1;
  return rc;
}

std::vector<std::string> journalEntries(const std::string& match, size_t atLeast, std::chrono::milliseconds timeout) {
  return journalEntries(std::vector<std::string>{match}, atLeast, timeout);
}

std::vector<std::string> journalEntries(const std::vector<std::string>& matches, size_t atLeast,
                                        std::chrono::milliseconds timeout) {
  std::vector<std::string> entries;
  std::vector<std::string> argv{"/usr/bin/journalctl", "--no-pager", "-o", "json"};
  argv.insert(argv.end(), matches.begin(), matches.end());
  eventually(
      [&] {
        entries.clear();
        const auto r = run(argv);
        std::istringstream in(r.out);
        for (std::string l; std::getline(in, l);)
          if (!l.empty()) entries.push_back(l);
        return entries.size() >= atLeast;
      },
      timeout);
  return entries;
}

}  // namespace giflab::test
