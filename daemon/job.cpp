#include "daemon/job.hpp"

#include "common/text.hpp"
#include "daemon/emit.hpp"

namespace giflab::daemon {

const char* jobStateName(JobState s) {
  switch (s) {
    case JobState::Queued: return "queued";
    case JobState::Running: return "running";
    case JobState::Succeeded: return "succeeded";
    case JobState::Failed: return "failed";
    case JobState::Cancelled: return "cancelled";
  }
  return "failed";
}

std::string Job::pathFor(uint32_t id) { return "/org/giflab/Perf1/job/" + std::to_string(id); }

Job::Job(sdbus::IConnection& connection, uint32_t id, std::string kind, uid_t owner, CancelHandler onCancel)
    : AdaptorInterfaces(connection, pathFor(id)),
      id_(id),
      kind_(std::move(kind)),
      owner_(owner),
      onCancel_(std::move(onCancel)) {
  registerAdaptor();
  emitSafely("InterfacesAdded", [&] { emitInterfacesAddedSignal({org::giflab::Perf1::Job_adaptor::INTERFACE_NAME}); });
}

Job::~Job() {
  emitSafely("InterfacesRemoved",
             [&] { emitInterfacesRemovedSignal({org::giflab::Perf1::Job_adaptor::INTERFACE_NAME}); });
  unregisterAdaptor();
}

void Job::changed(const std::vector<std::string>& properties) {
  emitSafely("a job's PropertiesChanged",
             [&] { emitPropertiesChangedSignal(org::giflab::Perf1::Job_adaptor::INTERFACE_NAME, properties); });
}

void Job::Cancel() {
  const uid_t caller = getObject().getCurrentlyProcessedMessage()->getCredsUid();
  onCancel_(*this, caller);
}

void Job::markRunning() {
  state_ = JobState::Running;
  message_ = "running";
  changed({"State", "Message"});
}

void Job::setProgress(double fraction, const std::string& message) {
  if (finished()) return;
  progress_ = fraction;
  message_ = printable(message);
  changed({"Progress", "Message"});
}

void Job::succeed(const std::string& resultJson) {
  state_ = JobState::Succeeded;
  progress_ = 1.0;
  message_ = "done";
  result_ = resultJson;
  finishedAt_ = std::chrono::steady_clock::now();
  changed({"State", "Progress", "Message", "Result"});
}

void Job::fail(JobState state, const std::string& errorName, const std::string& message) {
  state_ = state;
  message_ = state == JobState::Cancelled ? "cancelled" : "failed";
  errorName_ = errorName;
  errorMessage_ = printable(message);
  finishedAt_ = std::chrono::steady_clock::now();
  changed({"State", "Message", "ErrorName", "ErrorMessage"});
}

}  // namespace giflab::daemon
