#pragma once
// One exception type for the engine. Its kind maps to a CLI exit code and,
// at the daemon's boundary, to a D-Bus error name org.giflab.Perf1.Error.<Kind>.
#include <stdexcept>
#include <string>

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

// The name used after "org.giflab.Perf1.Error." on the bus.
const char* errorKindName(ErrorKind kind) noexcept;

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const noexcept { return kind_; }

 private:
  ErrorKind kind_;
};

}  // namespace giflab
