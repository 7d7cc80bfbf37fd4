#pragma once
// A signal or property change that cannot be sent must not end the daemon:
// sdbus-c++ throws from an emit (a string that is not UTF-8, a full outgoing
// queue), and an exception escaping a completion handler ends the process.
// The failure is logged and the daemon goes on.
#include "daemon/logging.hpp"

#include <exception>

namespace giflab::daemon {

template <typename F>
bool emitSafely(const char* what, F&& emit) noexcept {
  try {
    emit();
    return true;
  } catch (const std::exception& e) {
    try {
      logError("Could not emit {}: {}", what, e.what());
    } catch (...) {
    }
  } catch (...) {
    try {
      logError("Could not emit {}", what);
    } catch (...) {
    }
  }
  return false;
}

}  // namespace giflab::daemon
