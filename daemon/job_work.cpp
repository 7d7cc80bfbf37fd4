#include "daemon/job_work.hpp"

namespace giflab::daemon {

asio::awaitable<JobOutcome> baselineWork(std::shared_ptr<Engine> engine, bool update,
                                         std::vector<std::string> scenarios, std::optional<int> iterations,
                                         Cancellation cancel, ProgressFn progress) {
  JobOutcome outcome;
  if (update) outcome.result = co_await engine->updateBaselines(std::move(scenarios), iterations, cancel, progress);
  else outcome.result = co_await engine->createBaselines(std::move(scenarios), iterations, cancel, progress);
  co_return outcome;
}

asio::awaitable<JobOutcome> ciWork(std::shared_ptr<Engine> engine, CheckOptions options, Cancellation cancel,
                                   ProgressFn progress) {
  JobOutcome outcome;
  outcome.result = co_await engine->runCheck(std::move(options), cancel, progress);
  co_return outcome;
}

asio::awaitable<JobOutcome> validateWork(std::shared_ptr<Engine> engine, Cancellation cancel, ProgressFn progress) {
  JobOutcome outcome;
  outcome.result = co_await engine->validate(cancel, progress);
  co_return outcome;
}

asio::awaitable<JobOutcome> cycleWork(std::shared_ptr<Engine> engine, Cancellation cancel, ProgressFn progress) {
  CycleResult r = co_await runMonitorCycle(*engine, cancel, progress);
  nlohmann::json document = r;
  co_return JobOutcome{std::move(document), std::move(r)};
}

}  // namespace giflab::daemon
