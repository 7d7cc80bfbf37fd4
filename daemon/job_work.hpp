#pragma once
// The work of each kind of job, as coroutines on the engine the job was
// started with. Free functions taking everything by value: a lambda's
// captures would not outlive its call, the coroutine's frame does.
#include "daemon/job_queue.hpp"

namespace giflab::daemon {

asio::awaitable<JobOutcome> baselineWork(std::shared_ptr<Engine> engine, bool update,
                                         std::vector<std::string> scenarios, std::optional<int> iterations,
                                         Cancellation cancel, ProgressFn progress);
// Job.Result: the `ci --json` document.
asio::awaitable<JobOutcome> ciWork(std::shared_ptr<Engine> engine, CheckOptions options, Cancellation cancel,
                                   ProgressFn progress);
asio::awaitable<JobOutcome> validateWork(std::shared_ptr<Engine> engine, Cancellation cancel, ProgressFn progress);
// The cycle, and as Job.Result its document.
asio::awaitable<JobOutcome> cycleWork(std::shared_ptr<Engine> engine, Cancellation cancel, ProgressFn progress);

}  // namespace giflab::daemon
