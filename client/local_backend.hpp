#pragma once
#include <memory>

#include "client/backend.hpp"

namespace giflab::cli {

// --local: the engine in this process. `monitor start` runs the loop in the
// foreground until interrupted (or for `cycles` cycles when that is above 0).
std::unique_ptr<Backend> makeLocalBackend(Engine engine, int monitorCycles, bool json);

}  // namespace giflab::cli
