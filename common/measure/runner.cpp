#include "common/measure/runner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
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
constexpr size_t kMaxCommandBytes = 1u << 20;  // as giflab-perf-exec reads them (the kernel's ARG_MAX is 2 MiB)

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
  // Once reaped, its pid (and so the group's id) may be another process's.
  void killGroup() const {
    if (!reaped_) ::kill(-pid_, SIGKILL);
  }
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
  Fd commands, stderrPipe, resultPipe, stdoutPipe;  // stdoutPipe: only when captured
};

// Starts the helper with stderr and the result lines (fd 3) on pipes and its
// commands on a socket (fd 4): a socket, so that sending to a helper that
// died fails with EPIPE instead of raising SIGPIPE in the caller.
SpawnedChild spawnHelper(const fs::path& helper, const CommandOptions& options) {
  Pipe errPipe, resultPipe;
  std::optional<Pipe> outPipe;
  if (options.captureStdoutBytes > 0) outPipe.emplace();
  int sockets[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0)
    throw Error(ErrorKind::Internal, std::string("socketpair: ") + std::strerror(errno));
  Fd ours(sockets[0]), theirs(sockets[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (outPipe) posix_spawn_file_actions_adddup2(&actions, outPipe->write.get(), 1);
  else posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, errPipe.write.get(), 2);
  posix_spawn_file_actions_adddup2(&actions, resultPipe.write.get(), 3);
  posix_spawn_file_actions_adddup2(&actions, theirs.get(), 4);
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

  std::string program = helper.string(), resultFd = "3", commandFd = "4";
  char* cargv[] = {program.data(), resultFd.data(), commandFd.data(), nullptr};
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, helper.c_str(), &actions, &attr, cargv, environ);
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
  SpawnedChild child{std::make_unique<SpawnedGroup>(pid, std::move(pidfd)), std::move(ours), std::move(errPipe.read),
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

// The command as the helper reads it: a byte count, then each argument ended by a NUL.
std::string encodeCommand(const std::vector<std::string>& argv) {
  if (argv.front().empty()) throw Error(ErrorKind::InvalidArgument, "a command's program name is empty; name a program");
  std::string payload;
  for (const auto& arg : argv) {
    if (arg.find('\0') != std::string::npos)
      throw Error(ErrorKind::InvalidArgument,
                  "an argument of " + argv.front() + " contains a NUL byte; remove it from the command");
    payload += arg;
    payload += '\0';
  }
  if (payload.size() > kMaxCommandBytes)
    throw Error(ErrorKind::InvalidArgument, "the command " + argv.front() + " is longer than 1 MiB; shorten it");
  const auto size = static_cast<std::uint32_t>(payload.size());
  std::string message(reinterpret_cast<const char*>(&size), sizeof size);
  return message + payload;
}

}  // namespace

// A running helper, watched by the io_context: its exit (the pidfd turns
// readable), its stderr and result pipes, and per run a deadline and a
// cancel. Shared with the handlers that watch it, so whichever ends last
// frees it; if it is freed early, SpawnedGroup kills and reaps the group.
class MeasuringSession::Helper : public std::enable_shared_from_this<Helper> {
 public:
  Helper(const asio::any_io_executor& executor, SpawnedChild child, size_t stdoutBytes)
      : group_(std::move(child.group)),
        commands_(std::move(child.commands)),
        exitWatch_(executor, duplicate(group_->pidfd())),
        stderr_(executor, child.stderrPipe.release()),
        result_(executor, child.resultPipe.release()),
        stdout_(executor),
        stdoutBytes_(stdoutBytes),
        deadline_(executor),
        recheck_(executor),
        ended_(executor) {
    if (child.stdoutPipe.get() >= 0) stdout_.assign(child.stdoutPipe.release());
  }

  // Arms the watchers that live as long as the helper.
  void watch() {
    watchExit();
    readStderr();
    readResult();
    if (stdout_.is_open()) readStdout();
  }

  bool usable() const { return !gone_ && !helperEnded_; }

  // Sends one command; the run ends with its result line, the helper's end,
  // the deadline or a cancel. False when the helper had already ended.
  bool start(const std::vector<std::string>& argv, std::chrono::duration<double> timeout) {
    const std::string message = encodeCommand(argv);
    size_t sent = 0;
    while (sent < message.size()) {
      const ssize_t n = ::send(commands_.get(), message.data() + sent, message.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        helperEnded_ = true;
        return false;
      }
      sent += static_cast<size_t>(n);
    }
    outcome_ = CommandOutcome{};
    running_ = true;
    ended_.expires_at(asio::steady_timer::time_point::max());
    deadline_.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout));
    deadline_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
      if (ec || !self->running_) return;
      self->outcome_.timedOut = true;
      self->finish();
    });
    return true;
  }

  void cancel() {
    if (!running_) return;
    outcome_.cancelled = true;
    finish();
  }

  // Suspends until the run has ended.
  asio::awaitable<void> ended() {
    while (running_) {
      asio::error_code ec;
      co_await ended_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  // What the run came to. A helper that timed out, was cancelled or ended
  // is killed with its whole group and reaped: the session starts another.
  CommandOutcome collect(const fs::path& helper) {
    CommandOutcome out = std::move(outcome_);
    const auto newline = resultLine_.find('\n');
    if (newline != std::string::npos && !out.timedOut && !out.cancelled) {
      drain(stderr_.native_handle(), out.stderrTail, true);
      if (stdout_.is_open()) drainStdout(out);
      parseResult(resultLine_.substr(0, newline), out);
      resultLine_.erase(0, newline + 1);
      trimTail(out);
      if (helperEnded_) close();
      return out;
    }
    group_->killGroup();
    const siginfo_t info = group_->reap();
    drain(stderr_.native_handle(), out.stderrTail, true);
    if (stdout_.is_open()) drainStdout(out);
    close();
    if (out.timedOut || out.cancelled) return out;
    out.exitCode = -1;
    out.signal = info.si_code == CLD_EXITED ? 0 : info.si_status;
    if (!out.signal) out.stderrTail += "\n(the measuring helper " + helper.string() + " reported nothing)";
    trimTail(out);
    return out;
  }

  // Stops watching and ends the helper and whatever it still runs.
  void close() {
    if (gone_) return;
    gone_ = true;
    running_ = false;
    group_->killGroup();
    for (auto* timer : {&deadline_, &recheck_, &ended_}) timer->cancel();
    for (auto* stream : {&exitWatch_, &stderr_, &result_, &stdout_})
      if (stream->is_open()) stream->cancel();
  }

 private:
  static void trimTail(CommandOutcome& out) {
    if (out.stderrTail.size() > kStderrTailBytes) out.stderrTail.erase(0, out.stderrTail.size() - kStderrTailBytes);
  }

  void finish() {
    if (!running_) return;
    running_ = false;
    // The group goes at once: a cancelled or late workload stops using the machine now.
    if (outcome_.timedOut || outcome_.cancelled) group_->killGroup();
    deadline_.cancel();
    ended_.cancel();
  }

  // The pidfd turning readable is only a hint: on a busy machine it was seen
  // readable (kernel 6.18, the helper reaping an escaped child) while the
  // helper still ran and was not waitable. Its exit is what counts, so a
  // hint without one is checked again shortly.
  void watchExit() {
    exitWatch_.async_wait(asio::posix::stream_descriptor::wait_read, [self = shared_from_this()](const asio::error_code& ec) {
      if (ec || self->gone_) return;
      if (self->group_->exited()) return self->helperExited();
      self->recheck_.expires_after(std::chrono::milliseconds(5));
      self->recheck_.async_wait([self](const asio::error_code& e) {
        if (e || self->gone_) return;
        if (self->group_->exited()) return self->helperExited();
        self->watchExit();
      });
    });
  }
  void helperExited() {
    helperEnded_ = true;
    // A result line sent just before the end is still worth reading.
    drain(result_.native_handle(), resultLine_, false);
    if (running_) finish();
    else close();
  }

  // A workload that floods stderr must not block on a full pipe.
  void readStderr() {
    stderr_.async_wait(asio::posix::stream_descriptor::wait_read,
                       [self = shared_from_this()](const asio::error_code& ec) {
                         if (ec || self->gone_) return;
                         if (drain(self->stderr_.native_handle(), self->outcome_.stderrTail, true)) self->readStderr();
                       });
  }
  // The head is kept; what follows is read and dropped, so the pipe never fills.
  bool drainStdout(CommandOutcome& into) {
    std::string chunk;
    const bool open = drain(stdout_.native_handle(), chunk, false);
    const size_t room = stdoutBytes_ - std::min(stdoutBytes_, into.stdoutHead.size());
    into.stdoutHead.append(chunk, 0, std::min(room, chunk.size()));
    return open;
  }
  void readStdout() {
    stdout_.async_wait(asio::posix::stream_descriptor::wait_read,
                       [self = shared_from_this()](const asio::error_code& ec) {
                         if (ec || self->gone_) return;
                         if (self->drainStdout(self->outcome_)) self->readStdout();
                       });
  }
  void readResult() {
    result_.async_wait(asio::posix::stream_descriptor::wait_read,
                       [self = shared_from_this()](const asio::error_code& ec) {
                         if (ec || self->gone_) return;
                         const bool open = drain(self->result_.native_handle(), self->resultLine_, false);
                         if (self->resultLine_.find('\n') != std::string::npos) self->finish();
                         if (open) self->readResult();
                         else if (self->running_) self->finish();  // the helper closed it: it is ending
                       });
  }

  std::unique_ptr<SpawnedGroup> group_;
  Fd commands_;
  asio::posix::stream_descriptor exitWatch_;  // a duplicate of the pidfd, which the group keeps for waitid
  asio::posix::stream_descriptor stderr_, result_;
  asio::posix::stream_descriptor stdout_;  // open only when captured
  size_t stdoutBytes_ = 0;
  asio::steady_timer deadline_;
  asio::steady_timer recheck_;
  asio::steady_timer ended_;  // never fires; cancelled to wake the waiting coroutine
  CommandOutcome outcome_;
  std::string resultLine_;
  bool running_ = false;
  bool helperEnded_ = false;
  bool gone_ = false;
};

MeasuringSession::MeasuringSession(CommandOptions options) : options_(std::move(options)) {}

MeasuringSession::~MeasuringSession() {
  if (helper_) helper_->close();
}

asio::awaitable<CommandOutcome> MeasuringSession::run(std::vector<std::string> argv,
                                                      std::chrono::duration<double> timeout, Cancellation cancel) {
  if (argv.empty()) throw Error(ErrorKind::InvalidArgument, "empty command");
  static const fs::path helper = findExecHelper();
  if (cancel.requested()) {
    CommandOutcome out;
    out.cancelled = true;
    co_return out;
  }
  // A helper killed between runs (the OOM killer, a user) may not have been
  // noticed yet: the command then goes to a fresh one.
  std::shared_ptr<Helper> running;
  for (int attempt = 0; attempt < 2 && !running; ++attempt) {
    if (!helper_ || !helper_->usable()) {
      if (helper_) helper_->close();
      helper_ = std::make_shared<Helper>(co_await asio::this_coro::executor, spawnHelper(helper, options_),
                                         options_.captureStdoutBytes);
      helper_->watch();
    }
    if (helper_->start(argv, timeout)) running = helper_;  // collect() may close and replace helper_: keep this one
    else helper_->close();
  }
  if (!running)
    throw Error(ErrorKind::Internal, "the measuring helper " + helper.string() +
                                         " ended before it read a command; see the journal for what killed it");
  {
    const auto registration = cancel.onRequest([running] { running->cancel(); });
    co_await running->ended();
  }
  co_return running->collect(helper);
}

asio::awaitable<CommandOutcome> measureCommand(std::vector<std::string> argv, std::chrono::duration<double> timeout,
                                               Cancellation cancel, CommandOptions options) {
  MeasuringSession session(std::move(options));
  co_return co_await session.run(std::move(argv), timeout, std::move(cancel));
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
