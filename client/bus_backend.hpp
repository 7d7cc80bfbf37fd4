#pragma once
#include <memory>
#include <string>

#include "client/backend.hpp"

namespace giflab::cli {

enum class BusTarget { System, Session, Address };

// The daemon over D-Bus. Throws Error(Internal) with the "not running"
// message when the daemon cannot be reached.
std::unique_ptr<Backend> makeBusBackend(BusTarget target, const std::string& address);

// `watch`: prints RegressionDetected / RegressionResolved until interrupted.
int runWatch(Backend& backend, bool notify, bool json);
// `report`: writes a self-contained HTML report.
int writeReport(Backend& backend, const std::string& output);

}  // namespace giflab::cli
