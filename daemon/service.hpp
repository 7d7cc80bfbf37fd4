#pragma once
// giflab-perfd: one io_context on one thread drives the bus, the timers, the
// signals and the benchmark children (their pidfds and pipes), so the bus
// keeps answering while benchmarks run.
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
