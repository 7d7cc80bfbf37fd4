#include "common/runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <utility>

#include "common/error.hpp"

extern "C" {
#include <sys/pidfd.h>
}

extern char** environ;

namespace giflab {
namespace fs = std::filesystem;

namespace {

constexpr size_t kStderrTailBytes = 8192;

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept {
    reset(o.release());
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read, write;
  Pipe() {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) throw Error(ErrorKind::Internal, std::string("pipe: ") + std::strerror(errno));
    read.reset(p[0]);
    write.reset(p[1]);
  }
};

// Owns the spawned helper: if it is still running when this goes away, the
// whole process group is killed and reaped, so no child outlives a run.
class SpawnedGroup {
 public:
  SpawnedGroup(pid_t pid, Fd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}
  ~SpawnedGroup() {
    if (!reaped_) {
      killGroup();
      siginfo_t info{};
      ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd_.get()), &info, WEXITED);
    }
  }
  int pidfd() const { return pidfd_.get(); }
  void killGroup() const { ::kill(-pid_, SIGKILL); }
  siginfo_t reap() {
    siginfo_t info{};
    while (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd_.get()), &info, WEXITED) != 0 &&
           errno == EINTR) {
    }
    reaped_ = true;
    return info;
  }

 private:
  pid_t pid_;
  Fd pidfd_;
  bool reaped_ = false;
};

void appendTail(std::string& tail, const char* data, size_t n) {
  tail.append(data, n);
  if (tail.size() > 2 * kStderrTailBytes) tail.erase(0, tail.size() - kStderrTailBytes);
}

// Reads what is there without blocking; false at end of file.
bool drain(int fd, std::string& into, bool keepTail) {
  char buf[16384];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      if (keepTail) appendTail(into, buf, static_cast<size_t>(n));
      else into.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

void parseResult(const std::string& line, CommandOutcome& out) {
  std::istringstream in(line);
  std::string field;
  long long wallNs = 0, utime = 0, stime = 0, rss = 0;
  while (in >> field) {
    const auto eq = field.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = field.substr(0, eq);
    const long long v = std::stoll(field.substr(eq + 1));
    if (key == "exit") out.exitCode = static_cast<int>(v);
    else if (key == "signal") out.signal = static_cast<int>(v);
    else if (key == "errno") out.execErrno = static_cast<int>(v);
    else if (key == "wall_ns") wallNs = v;
    else if (key == "utime_us") utime = v;
    else if (key == "stime_us") stime = v;
    else if (key == "maxrss_kb") rss = v;
  }
  out.wallSeconds = static_cast<double>(wallNs) / 1e9;
  out.userSeconds = static_cast<double>(utime) / 1e6;
  out.systemSeconds = static_cast<double>(stime) / 1e6;
  out.maxRssMb = static_cast<double>(rss) / 1024.0;
}

}  // namespace

std::string CommandOutcome::describeFailure(const std::string& program, double timeout) const {
  std::ostringstream os;
  if (cancelled) os << program << " was cancelled";
  else if (timedOut) os << program << " timed out after " << timeout << " s and was killed";
  else if (execErrno) os << "cannot run " << program << ": " << std::strerror(execErrno)
                         << (execErrno == ENOENT ? " (is it installed and on PATH?)" : "");
  else if (signal) os << program << " was killed by signal " << signal << " (" << ::strsignal(signal) << ")";
  else os << program << " failed with exit code " << exitCode;
  if (!stderrTail.empty() && !execErrno) {
    // The last lines are what explain a failure.
    std::string tail = stderrTail;
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
    size_t pos = tail.size();
    for (int lines = 0; lines < 5 && pos != std::string::npos && pos > 0; ++lines) pos = tail.rfind('\n', pos - 1);
    if (pos != std::string::npos && pos < tail.size()) tail = tail.substr(pos + 1);
    os << "; its stderr ended with:\n" << tail;
  }
  return os.str();
}

fs::path findExecHelper() {
  if (const char* env = std::getenv("GIFLAB_PERF_EXEC"); env && *env) return env;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path sibling = self.parent_path() / "giflab-perf-exec";
    if (fs::exists(sibling, ec)) return sibling;
  }
#ifdef GIFLAB_LIBEXECDIR
  return fs::path(GIFLAB_LIBEXECDIR) / "giflab-perf-exec";
#else
  return "giflab-perf-exec";
#endif
}

CommandOutcome runCommand(const std::vector<std::string>& argv, std::chrono::duration<double> timeout,
                          const std::atomic<bool>* cancel) {
  if (argv.empty()) throw Error(ErrorKind::InvalidArgument, "empty command");
  static const fs::path helper = findExecHelper();

  Pipe errPipe, resultPipe;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, errPipe.write.get(), 2);
  posix_spawn_file_actions_adddup2(&actions, resultPipe.write.get(), 3);

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> full{helper.string(), "3"};
  full.insert(full.end(), argv.begin(), argv.end());
  std::vector<char*> cargv;
  for (auto& s : full) cargv.push_back(s.data());
  cargv.push_back(nullptr);

  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, helper.c_str(), &actions, &attr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0)
    throw Error(ErrorKind::Internal, "cannot start the measuring helper " + helper.string() + ": " +
                                         std::strerror(rc) + " (set GIFLAB_PERF_EXEC or reinstall)");
  Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (pidfd.get() < 0) {
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    throw Error(ErrorKind::Internal, std::string("pidfd_open: ") + std::strerror(errno));
  }
  SpawnedGroup group(pid, std::move(pidfd));
  errPipe.write.reset();
  resultPipe.write.reset();
  ::fcntl(errPipe.read.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(resultPipe.read.get(), F_SETFL, O_NONBLOCK);

  CommandOutcome out;
  std::string resultLine;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool errOpen = true, resultOpen = true;
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      out.timedOut = true;
      break;
    }
    if (cancel && cancel->load()) {
      out.cancelled = true;
      break;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
    pollfd fds[3] = {{group.pidfd(), POLLIN, 0},
                     {errOpen ? errPipe.read.get() : -1, POLLIN, 0},
                     {resultOpen ? resultPipe.read.get() : -1, POLLIN, 0}};
    const int waitMs = static_cast<int>(std::min<long long>(left, cancel ? 100 : 1000));
    if (::poll(fds, 3, waitMs) < 0 && errno != EINTR)
      throw Error(ErrorKind::Internal, std::string("poll: ") + std::strerror(errno));
    if (errOpen && (fds[1].revents & (POLLIN | POLLHUP))) errOpen = drain(errPipe.read.get(), out.stderrTail, true);
    if (resultOpen && (fds[2].revents & (POLLIN | POLLHUP)))
      resultOpen = drain(resultPipe.read.get(), resultLine, false);
    if (fds[0].revents & POLLIN) break;  // the helper has exited
  }
  // Anything the workload left behind in its group goes with it.
  group.killGroup();
  const siginfo_t info = group.reap();
  drain(errPipe.read.get(), out.stderrTail, true);
  drain(resultPipe.read.get(), resultLine, false);
  if (out.timedOut || out.cancelled) return out;
  if (resultLine.empty()) {
    out.exitCode = -1;
    out.signal = info.si_code == CLD_EXITED ? 0 : info.si_status;
    if (!out.signal) out.stderrTail += "\n(the measuring helper " + helper.string() + " reported nothing)";
    return out;
  }
  parseResult(resultLine, out);
  if (out.stderrTail.size() > kStderrTailBytes) out.stderrTail.erase(0, out.stderrTail.size() - kStderrTailBytes);
  return out;
}

}  // namespace giflab
