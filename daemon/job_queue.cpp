#include "daemon/job_queue.hpp"

#include <malloc.h>

#include "daemon/logging.hpp"

#include "common/base/error.hpp"
#include "daemon/emit.hpp"

namespace giflab::daemon {
using nlohmann::json;

namespace {
constexpr size_t kMaxUnfinishedJobs = 32;
constexpr auto kJobRetention = std::chrono::seconds(60);
}  // namespace

JobQueue::JobQueue(asio::io_context& io, sdbus::IConnection& connection, BusLoop& loop, Hooks hooks)
    : io_(io), connection_(connection), loop_(loop), hooks_(std::move(hooks)), sweepTimer_(io) {}

JobQueue::~JobQueue() { jobs_.clear(); }

sdbus::ObjectPath JobQueue::submit(const std::string& kind, uid_t owner, std::shared_ptr<Engine> engine, JobWork work,
                                   Callbacks callbacks) {
  if (shuttingDown_) throw Error(ErrorKind::Busy, "giflab-perfd is stopping; try again once it has restarted");
  size_t unfinished = 0;
  for (const auto& [id, j] : jobs_) unfinished += !j->finished();
  if (unfinished >= kMaxUnfinishedJobs)
    throw Error(ErrorKind::Busy, "too many jobs waiting (" + std::to_string(unfinished) +
                                     "); wait for them to finish (giflab-perfctl status) and try again");
  const uint32_t id = nextId_++;
  auto job = std::make_unique<Job>(connection_, id, kind, owner, [this](Job& j, uid_t caller) { cancel(j, caller); });
  const auto path = job->path();
  jobs_.emplace(id, std::move(job));
  ++changes_;
  logInfo("Job {} ({}) queued", id, kind);
  queue_.push_back({id, std::move(engine), std::move(work), std::move(callbacks)});
  // Started from the loop, not from inside this method call: the reply with
  // the job's path goes out before the job's first PropertiesChanged.
  asio::post(io_, [this] { startNext(); });
  if (hooks_.changed) hooks_.changed();
  return path;
}

void JobQueue::startNext() {
  if (running_ || queue_.empty() || shuttingDown_) return;
  running_ = std::move(queue_.front());
  queue_.pop_front();
  const uint32_t id = running_->id;
  Job& job = *jobs_.at(id);
  job.markRunning();
  ++changes_;
  runningLine_ = "job " + std::to_string(id) + " (" + job.kind() + ") running";
  if (hooks_.changed) hooks_.changed();
  ProgressFn progress = [this, id, lastPost = std::chrono::steady_clock::time_point{}](
                            double fraction, const std::string& message) mutable {
    const auto now = std::chrono::steady_clock::now();
    if (fraction < 1.0 && now - lastPost < std::chrono::milliseconds(100)) return;
    lastPost = now;
    if (auto it = jobs_.find(id); it != jobs_.end()) it->second->setProgress(fraction, message);
    loop_.kick();  // an emit outside a bus batch
  };
  asio::co_spawn(io_, running_->work(running_->engine, job.cancellation(), std::move(progress)),
                 [this, id](std::exception_ptr error, JobOutcome outcome) { end(id, error, std::move(outcome)); });
  loop_.kick();
}

void JobQueue::end(uint32_t id, std::exception_ptr error, JobOutcome outcome) {
  QueuedJob finished = std::move(*running_);
  running_.reset();
  runningLine_.clear();
  std::string failure;  // why it failed; empty when it succeeded or was cancelled
  try {
    if (error) std::rethrow_exception(error);
    if (finished.callbacks.onSuccess) finished.callbacks.onSuccess(outcome);
    if (auto it = jobs_.find(id); it != jobs_.end() && !it->second->finished()) {
      // Every string in it was made valid UTF-8 where it entered; should one
      // have slipped through, it is replaced rather than failing the job.
      it->second->succeed(outcome.result.dump(-1, ' ', false, json::error_handler_t::replace));
      logInfo("Job {} succeeded", id);
      ended(*it->second);
    }
  } catch (const Error& e) {
    const bool cancelled = e.kind() == ErrorKind::Cancelled;
    if (!cancelled) failure = e.what();
    fail(id, cancelled ? JobState::Cancelled : JobState::Failed, e.kind(), e.what());
  } catch (const std::exception& e) {
    failure = printable(e.what());
    fail(id, JobState::Failed, ErrorKind::Internal, failure);
  }
  if (finished.callbacks.onEnd) finished.callbacks.onEnd(failure);
  if (hooks_.changed) hooks_.changed();
  loop_.kick();
  if (shuttingDown_) {
    if (auto idle = std::exchange(whenIdle_, nullptr)) idle();
    return;
  }
  startNext();
  // Idle again: a job's samples, history reads and JSON leave freed pages in
  // the heap that malloc keeps; the daemon waits for hours between cycles,
  // so they go back to the system now (about 1 MB of its idle footprint).
  if (!running_) ::malloc_trim(0);
}

void JobQueue::fail(uint32_t id, JobState state, ErrorKind error, const std::string& message) {
  auto it = jobs_.find(id);
  if (it == jobs_.end() || it->second->finished()) return;
  it->second->fail(state, error, message);
  if (state == JobState::Cancelled) logInfo("Job {} cancelled", id);
  else logWarning("Job {} failed: {}", id, message);
  ended(*it->second);
}

void JobQueue::ended(Job& job) {
  ++changes_;
  scheduleSweep();
  if (hooks_.finished) hooks_.finished(job);
  if (hooks_.changed) hooks_.changed();
}

void JobQueue::cancel(Job& job, uid_t caller) {
  if (hooks_.checkCancel) hooks_.checkCancel(job, caller);
  if (job.finished()) return;
  // A running job's child is killed now; its coroutine then ends as cancelled.
  job.cancellation().request();
  const auto queued = std::find_if(queue_.begin(), queue_.end(), [&](const QueuedJob& q) { return q.id == job.id(); });
  if (queued == queue_.end()) return;
  auto onEnd = std::move(queued->callbacks.onEnd);
  queue_.erase(queued);
  fail(job.id(), JobState::Cancelled, ErrorKind::Cancelled, "cancelled before it started");
  if (onEnd) onEnd("");
}

void JobQueue::shutDown(std::function<void()> whenIdle) {
  shuttingDown_ = true;
  for (auto& queued : queue_) fail(queued.id, JobState::Cancelled, ErrorKind::Cancelled, "giflab-perfd stopped");
  queue_.clear();
  if (!running_) {
    whenIdle();
    return;
  }
  whenIdle_ = std::move(whenIdle);
  jobs_.at(running_->id)->cancellation().request();
}

json JobQueue::list() const {
  json jobs = json::array();
  for (const auto& [id, j] : jobs_)
    jobs.push_back({{"id", id}, {"kind", j->kind()}, {"state", bus::kJobStateNames.name(j->state())}, {"path", j->path()}});
  return jobs;
}

void JobQueue::sweep() {
  sweepScheduled_ = false;
  const auto now = std::chrono::steady_clock::now();
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    if (it->second->finished() && now - it->second->finishedAt() > kJobRetention) it = jobs_.erase(it), ++changes_;
    else ++it;
  }
  loop_.kick();
  scheduleSweep();
}

// Armed only while a finished job waits to expire: an idle daemon has no
// timer of its own to wake it.
void JobQueue::scheduleSweep() {
  if (sweepScheduled_) return;
  std::optional<std::chrono::steady_clock::time_point> next;
  for (const auto& [id, j] : jobs_)
    if (j->finished() && (!next || j->finishedAt() < *next)) next = j->finishedAt();
  if (!next) return;
  sweepScheduled_ = true;
  sweepTimer_.expires_at(*next + kJobRetention + std::chrono::seconds(1));
  sweepTimer_.async_wait([this](const asio::error_code& e) {
    if (!e) sweep();
  });
}

}  // namespace giflab::daemon
