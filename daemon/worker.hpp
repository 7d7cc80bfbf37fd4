#pragma once
// The one thread that runs benchmarks: two at once would spoil both
// measurements, so tasks run strictly one after another.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace giflab::daemon {

class Worker {
 public:
  using Task = std::function<void()>;
  Worker();
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void submit(Task task);
  // Drops what has not started, waits for the running task, joins.
  void stop();

 private:
  void loop();
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Task> tasks_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace giflab::daemon
