#pragma once
// One piece of long work on the bus: /org/giflab/Perf1/job/N with
// org.giflab.Perf1.Job. Lives on the daemon's one thread, with the coroutine
// that does its work.
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <sdbus-c++/sdbus-c++.h>
#include <string>

#include "common/base/bus_names.hpp"
#include "common/measure/cancellation.hpp"
#include "org.giflab.Perf1.Job.adaptor.h"

namespace giflab::daemon {

using bus::JobState;

class Job final : public sdbus::AdaptorInterfaces<org::giflab::Perf1::Job_adaptor, sdbus::ManagedObject_adaptor,
                                                  sdbus::Properties_adaptor> {
 public:
  // onCancel decides whether the caller may cancel and does it.
  using CancelHandler = std::function<void(Job& job, uid_t caller)>;

  Job(sdbus::IConnection& connection, uint32_t id, std::string kind, uid_t owner, CancelHandler onCancel);
  ~Job();

  sdbus::ObjectPath path() const { return sdbus::ObjectPath(bus::jobPath(id_)); }
  uint32_t id() const { return id_; }
  uid_t owner() const { return owner_; }
  const std::string& kind() const { return kind_; }
  JobState state() const { return state_; }
  bool finished() const { return state_ != JobState::Queued && state_ != JobState::Running; }
  std::chrono::steady_clock::time_point finishedAt() const { return finishedAt_; }
  const Cancellation& cancellation() const { return cancel_; }
  double progress() const { return progress_; }

  void markRunning();
  void setProgress(double fraction, const std::string& message);
  void succeed(const std::string& resultJson);
  // state: Failed or Cancelled
  void fail(JobState state, ErrorKind error, const std::string& message);

 private:
  void Cancel() override;
  uint32_t Id() override { return id_; }
  std::string Kind() override { return kind_; }
  std::string State() override { return std::string(bus::kJobStateNames.name(state_)); }
  double Progress() override { return progress_; }
  std::string Message() override { return message_; }
  std::string Result() override { return result_; }
  std::string ErrorName() override { return errorName_; }
  std::string ErrorMessage() override { return errorMessage_; }
  void changed(const std::vector<std::string>& properties);

  uint32_t id_;
  std::string kind_;
  uid_t owner_;
  CancelHandler onCancel_;
  Cancellation cancel_;
  JobState state_ = JobState::Queued;
  double progress_ = 0;
  std::string message_{bus::kJobStateNames.name(JobState::Queued)};
  std::string result_, errorName_, errorMessage_;
  std::chrono::steady_clock::time_point finishedAt_{};
};

}  // namespace giflab::daemon
