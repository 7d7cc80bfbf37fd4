#pragma once
// Runs commands through giflab-perf-exec in its own process group and
// measures them. The io_context that runs the coroutine watches the helper
// (its pidfd and pipes); RAII owns every fd and child; a timeout or a
// cancellation kills the whole group at once.
#include <asio/awaitable.hpp>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/measure/cancellation.hpp"

namespace giflab {

struct CommandOutcome {
  int exitCode = -1;   // -1 when killed by a signal or never started
  int signal = 0;
  int execErrno = 0;   // the program could not be started
  bool timedOut = false;
  bool cancelled = false;
  double wallSeconds = 0;
  double userSeconds = 0;
  double systemSeconds = 0;
  double maxRssMb = 0;
  std::string stderrTail;  // the last few kilobytes of its stderr
  std::string stdoutHead;  // the first bytes of its stdout, when asked for (CommandOptions)

  bool succeeded() const { return exitCode == 0 && signal == 0 && execErrno == 0 && !timedOut && !cancelled; }
  // "exit code 3", "killed by signal 9 (Killed)", "timed out after 2 s", ...
  std::string describeFailure(const std::string& program, double timeout) const;
};

// Where giflab-perf-exec lives: $GIFLAB_PERF_EXEC, next to the running
// program, or the installed libexec folder.
std::filesystem::path findExecHelper();

// Workloads run with stdout on /dev/null in the caller's folder; a version
// command's output is read, a build runs in its checkout.
struct CommandOptions {
  size_t captureStdoutBytes = 0;                // keep this many first bytes of stdout
  std::filesystem::path workingDirectory;       // empty: the caller's
};

// Runs commands one after another through one helper, which stays up
// between them: a run then costs one process start, not two. A run that
// times out or is cancelled takes the helper with it, and the next run
// starts another. Use it from one coroutine at a time; destroying it ends
// the helper.
class MeasuringSession {
 public:
  explicit MeasuringSession(CommandOptions options = {});
  ~MeasuringSession();
  MeasuringSession(const MeasuringSession&) = delete;
  MeasuringSession& operator=(const MeasuringSession&) = delete;

  asio::awaitable<CommandOutcome> run(std::vector<std::string> argv, std::chrono::duration<double> timeout,
                                      Cancellation cancel);

 private:
  class Helper;
  CommandOptions options_;
  std::shared_ptr<Helper> helper_;
};

// One command in a session of its own.
asio::awaitable<CommandOutcome> measureCommand(std::vector<std::string> argv, std::chrono::duration<double> timeout,
                                               Cancellation cancel, CommandOptions options);
// Not a default argument: g++ 12 destroys a coroutine's defaulted class
// argument twice.
asio::awaitable<CommandOutcome> measureCommand(std::vector<std::string> argv, std::chrono::duration<double> timeout,
                                               Cancellation cancel);

// The same on a private io_context, for callers without one; a set flag cancels.
CommandOutcome runCommand(const std::vector<std::string>& argv, std::chrono::duration<double> timeout,
                          const std::atomic<bool>* cancel = nullptr, const CommandOptions& options = {});

}  // namespace giflab
