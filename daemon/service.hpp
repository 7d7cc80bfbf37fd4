#pragma once
// giflab-perfd: one io_context drives the bus, the timers and the signals;
// benchmarks run on the Worker thread so the bus keeps answering.
#include <filesystem>
#include <optional>
#include <string>

namespace giflab::daemon {

struct ServiceOptions {
  enum class Bus { System, Session, Address } bus = Bus::System;
  std::string address;
  std::optional<std::filesystem::path> config;  // default: the system or XDG path
  std::optional<std::filesystem::path> stateDir;
  bool debug = false;
};

// Runs until SIGTERM or SIGINT; returns the process exit code.
int runService(const ServiceOptions& options);

}  // namespace giflab::daemon
