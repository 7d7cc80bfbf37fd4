#include "daemon/job.hpp"

#include "common/base/text.hpp"
#include "daemon/boundary.hpp"
#include "daemon/emit.hpp"

namespace giflab::daemon {

Job::Job(sdbus::IConnection& connection, uint32_t id, std::string kind, uid_t owner, CancelHandler onCancel)
    : AdaptorInterfaces(connection, bus::jobPath(id)),
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
  guarded([&] { onCancel_(*this, caller); });
}

void Job::markRunning() {
  state_ = JobState::Running;
  message_ = bus::kJobStateNames.name(JobState::Running);
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

void Job::fail(JobState state, ErrorKind error, const std::string& message) {
  state_ = state;
  message_ = bus::kJobStateNames.name(state);
  errorName_ = bus::errorName(error);
  errorMessage_ = printable(message);
  finishedAt_ = std::chrono::steady_clock::now();
  changed({"State", "Message", "ErrorName", "ErrorMessage"});
}

}  // namespace giflab::daemon
