#pragma once
// The D-Bus boundary: engine errors become named D-Bus errors
// (org.giflab.Perf1.Error.<Kind>), anything else Error.Internal.
#include <sdbus-c++/sdbus-c++.h>

#include <exception>

#include "common/base/bus_names.hpp"
#include "common/base/error.hpp"

namespace giflab::daemon {

template <typename F>
auto guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error& e) {
    throw sdbus::Error(bus::errorName(e.kind()), e.what());
  } catch (const sdbus::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw sdbus::Error(bus::errorName(ErrorKind::Internal), printable(e.what()));
  }
}

}  // namespace giflab::daemon
