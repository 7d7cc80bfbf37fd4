#include "common/measure/cancellation.hpp"

#include <utility>

#include "common/base/error.hpp"

namespace giflab {

void Cancellation::request() const {
  if (state_->requested) return;
  state_->requested = true;
  if (auto stop = std::exchange(state_->stop, nullptr)) stop();
}

void Cancellation::throwIfRequested() const {
  if (state_->requested) throw Error(ErrorKind::Cancelled, "cancelled");
}

Cancellation::Registration Cancellation::onRequest(std::function<void()> stop) const {
  if (state_->requested) {
    stop();
    return Registration(state_);
  }
  state_->stop = std::move(stop);
  return Registration(state_);
}

Cancellation::Registration::~Registration() {
  if (state_) state_->stop = nullptr;
}

}  // namespace giflab
