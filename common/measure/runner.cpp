#include "common/measure/runner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <utility>

#include <asio/any_io_executor.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/redirect_error.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <memory>
#include <optional>

#include "common/measure/blocking.hpp"
#include "common/base/error.hpp"

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
      reap();
    }
  }
  int pidfd() const { return pidfd_.get(); }
  void killGroup() const { ::kill(-pid_, SIGKILL); }
  // Whether the helper has exited (waitable), without reaping it.
  bool exited() const {
    siginfo_t info{};
    return ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd_.get()), &info,
                    WEXITED | WNOHANG | WNOWAIT) == 0 &&
           info.si_pid != 0;
  }
  // Waits for the helper's exit status. The pidfd's file description is
  // shared with the loop's watcher, which made it non-blocking, and on a
  // non-blocking pidfd waitid answers EAGAIN instead of waiting (kernels
  // from 6.x can report the pidfd readable a moment before the zombie is
  // waitable): it must block here.
  siginfo_t reap() {
    const int flags = ::fcntl(pidfd_.get(), F_GETFL);
    if (flags >= 0 && (flags & O_NONBLOCK)) ::fcntl(pidfd_.get(), F_SETFL, flags & ~O_NONBLOCK);
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

// What to do about a command that could not be started.
const char* execHint(int execErrno) {
  switch (execErrno) {
    case ENOENT: return " (is it installed and on PATH?)";
    case EACCES: return " (is it executable, and may this user run it?)";
    case ENOEXEC: return " (a script needs a #! line, or name its interpreter first in the command)";
  }
  return "";
}

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
  else if (execErrno) os << "cannot run " << program << ": " << std::strerror(execErrno) << execHint(execErrno);
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

namespace {

struct SpawnedChild {
  std::unique_ptr<SpawnedGroup> group;
  Fd stderrPipe, resultPipe, stdoutPipe;  // stdoutPipe: only when captured
};

// Starts the helper on argv with stderr and the result line (fd 3) on pipes.
SpawnedChild spawnMeasured(const std::vector<std::string>& argv, const fs::path& helper,
                           const CommandOptions& options) {
  Pipe errPipe, resultPipe;
  std::optional<Pipe> outPipe;
  if (options.captureStdoutBytes > 0) outPipe.emplace();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (outPipe) posix_spawn_file_actions_adddup2(&actions, outPipe->write.get(), 1);
  else posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, errPipe.write.get(), 2);
  posix_spawn_file_actions_adddup2(&actions, resultPipe.write.get(), 3);
  if (!options.workingDirectory.empty())
    posix_spawn_file_actions_addchdir_np(&actions, options.workingDirectory.c_str());

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
  SpawnedChild child{std::make_unique<SpawnedGroup>(pid, std::move(pidfd)), std::move(errPipe.read),
                     std::move(resultPipe.read), outPipe ? std::move(outPipe->read) : Fd()};
  ::fcntl(child.stderrPipe.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(child.resultPipe.get(), F_SETFL, O_NONBLOCK);
  if (child.stdoutPipe.get() >= 0) ::fcntl(child.stdoutPipe.get(), F_SETFL, O_NONBLOCK);
  return child;
}

int duplicate(int fd) {
  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) throw Error(ErrorKind::Internal, std::string("cannot duplicate a pidfd: ") + std::strerror(errno));
  return copy;
}

// One measured run, watched by the io_context: the helper's exit (its pidfd
// turns readable), its stderr and result pipes, a deadline and a cancel.
// Shared with the handlers that watch it, so whichever ends last frees it;
// if it is freed early, SpawnedGroup kills and reaps the child.
class MeasuredRun : public std::enable_shared_from_this<MeasuredRun> {
 public:
  MeasuredRun(const asio::any_io_executor& executor, SpawnedChild child, std::chrono::duration<double> timeout,
              size_t stdoutBytes)
      : group_(std::move(child.group)),
        exitWatch_(executor, duplicate(group_->pidfd())),
        stderr_(executor, child.stderrPipe.release()),
        result_(executor, child.resultPipe.release()),
        stdout_(executor),
        stdoutBytes_(stdoutBytes),
        deadline_(executor),
        recheck_(executor),
        ended_(executor) {
    deadline_.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout));
    ended_.expires_at(asio::steady_timer::time_point::max());
    if (child.stdoutPipe.get() >= 0) stdout_.assign(child.stdoutPipe.release());
  }

  void start() {
    auto self = shared_from_this();
    watchExit();
    deadline_.async_wait([self](const asio::error_code& ec) {
      if (ec) return;
      self->outcome_.timedOut = true;
      self->end();
    });
    readStderr();
    readResult();
    if (stdout_.is_open()) readStdout();
  }

  void cancel() {
    if (finished_) return;
    outcome_.cancelled = true;
    end();
  }

  // Suspends until the helper has exited, timed out or been cancelled.
  asio::awaitable<void> ended() {
    while (!finished_) {
      asio::error_code ec;
      co_await ended_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  // Kills what the workload left behind in its group, reaps the helper and
  // reads what remains in the pipes.
  CommandOutcome collect(const fs::path& helper) {
    group_->killGroup();
    const siginfo_t info = group_->reap();
    drain(stderr_.native_handle(), outcome_.stderrTail, true);
    drain(result_.native_handle(), resultLine_, false);
    if (stdout_.is_open()) drainStdout();
    CommandOutcome out = std::move(outcome_);
    if (out.timedOut || out.cancelled) return out;
    if (resultLine_.empty()) {
      out.exitCode = -1;
      out.signal = info.si_code == CLD_EXITED ? 0 : info.si_status;
      if (!out.signal) out.stderrTail += "\n(the measuring helper " + helper.string() + " reported nothing)";
      return out;
    }
    parseResult(resultLine_, out);
    if (out.stderrTail.size() > kStderrTailBytes) out.stderrTail.erase(0, out.stderrTail.size() - kStderrTailBytes);
    return out;
  }

 private:
  void end() {
    if (finished_) return;
    finished_ = true;
    // The group goes at once: a cancelled or late workload stops using the machine now.
    if (outcome_.timedOut || outcome_.cancelled) group_->killGroup();
    deadline_.cancel();
    recheck_.cancel();
    exitWatch_.cancel();
    stderr_.cancel();
    result_.cancel();
    if (stdout_.is_open()) stdout_.cancel();
    ended_.cancel();
  }

  // The pidfd turning readable is only a hint: on a busy machine it was seen
  // readable (kernel 6.18, the helper reaping an escaped child) while the
  // helper still ran and was not waitable. Its exit is what ends the run, so
  // a hint without one is checked again shortly.
  void watchExit() {
    exitWatch_.async_wait(asio::posix::stream_descriptor::wait_read, [self = shared_from_this()](const asio::error_code& ec) {
      if (ec || self->finished_) return;
      if (self->group_->exited()) return self->end();
      self->recheck_.expires_after(std::chrono::milliseconds(5));
      self->recheck_.async_wait([self](const asio::error_code& e) {
        if (e || self->finished_) return;
        if (self->group_->exited()) return self->end();
        self->watchExit();
      });
    });
  }

  // A workload that floods stderr must not block on a full pipe.
  void readStderr() {
    stderr_.async_wait(asio::posix::stream_descriptor::wait_read,
                       [self = shared_from_this()](const asio::error_code& ec) {
                         if (ec || self->finished_) return;
                         if (drain(self->stderr_.native_handle(), self->outcome_.stderrTail, true)) self->readStderr();
                       });
  }
  // The head is kept; what follows is read and dropped, so the pipe never fills.
  bool drainStdout() {
    std::string chunk;
    const bool open = drain(stdout_.native_handle(), chunk, false);
    const size_t room = stdoutBytes_ - std::min(stdoutBytes_, outcome_.stdoutHead.size());
    outcome_.stdoutHead.append(chunk, 0, std::min(room, chunk.size()));
    return open;
  }
  void readStdout() {
    stdout_.async_wait(asio::posix::stream_descriptor::wait_read,
                       [self = shared_from_this()](const asio::error_code& ec) {
                         if (ec || self->finished_) return;
                         if (self->drainStdout()) self->readStdout();
                       });
  }
  void readResult() {
    result_.async_wait(asio::posix::stream_descriptor::wait_read,
                       [self = shared_from_this()](const asio::error_code& ec) {
                         if (ec || self->finished_) return;
                         if (drain(self->result_.native_handle(), self->resultLine_, false)) self->readResult();
                       });
  }

  std::unique_ptr<SpawnedGroup> group_;
  asio::posix::stream_descriptor exitWatch_;  // a duplicate of the pidfd, which the group keeps for waitid
  asio::posix::stream_descriptor stderr_, result_;
  asio::posix::stream_descriptor stdout_;  // open only when captured
  size_t stdoutBytes_ = 0;
  asio::steady_timer deadline_;
  asio::steady_timer recheck_;
  asio::steady_timer ended_;  // never fires; cancelled to wake the waiting coroutine
  CommandOutcome outcome_;
  std::string resultLine_;
  bool finished_ = false;
};

}  // namespace

asio::awaitable<CommandOutcome> measureCommand(std::vector<std::string> argv, std::chrono::duration<double> timeout,
                                               Cancellation cancel, CommandOptions options) {
  if (argv.empty()) throw Error(ErrorKind::InvalidArgument, "empty command");
  static const fs::path helper = findExecHelper();
  if (cancel.requested()) {
    CommandOutcome out;
    out.cancelled = true;
    co_return out;
  }
  auto run = std::make_shared<MeasuredRun>(co_await asio::this_coro::executor, spawnMeasured(argv, helper, options),
                                            timeout, options.captureStdoutBytes);
  run->start();
  {
    const auto registration = cancel.onRequest([run] { run->cancel(); });
    co_await run->ended();
  }
  co_return run->collect(helper);
}

asio::awaitable<CommandOutcome> measureCommand(std::vector<std::string> argv, std::chrono::duration<double> timeout,
                                               Cancellation cancel) {
  return measureCommand(std::move(argv), timeout, std::move(cancel), CommandOptions{});
}

CommandOutcome runCommand(const std::vector<std::string>& argv, std::chrono::duration<double> timeout,
                          const std::atomic<bool>* cancel, const CommandOptions& options) {
  return runBlocking([&](Cancellation c) { return measureCommand(argv, timeout, std::move(c), options); }, cancel);
}

}  // namespace giflab
