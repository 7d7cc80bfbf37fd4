#pragma once
// One exception type for the engine. Its kind maps to a CLI exit code and,
// at the daemon's boundary, to a D-Bus error name org.giflab.Perf1.Error.<Kind>
// (the names: common/bus_names.hpp).
#include <stdexcept>
#include <string>

#include "common/base/text.hpp"

namespace giflab {

enum class ErrorKind {
  InvalidArgument,   // a bad value from the caller
  Config,            // the config file or environment is wrong
  NoBaselines,       // the operation needs baselines that do not exist
  BaselineCorrupt,   // baselines.json cannot be read
  InsufficientSamples,
  ScenarioFailed,    // a workload command failed, timed out or could not start
  UnknownScenario,
  Storage,           // state folder not writable, disk full, ...
  Cancelled,
  AccessDenied,
  Busy,
  Internal,
};

// Its message is always printable(): valid UTF-8 for D-Bus, JSON and the
// journal, with no control character a terminal would act on, whatever
// bytes went into it (a workload's stderr, a file name, config text).
class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(printable(message)), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

}  // namespace giflab
