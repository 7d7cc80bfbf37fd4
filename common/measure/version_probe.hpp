#pragma once
// Which version of the watched code a check measured: the configured
// version_command (the config's, or a scenario's own) run once per check,
// its first line kept. A command that fails is a warning, never a failed
// check: the measurements stand without a version.
#include <asio/awaitable.hpp>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "common/measure/cancellation.hpp"
#include "common/store/config.hpp"

namespace giflab {

inline constexpr std::chrono::seconds kVersionTimeout{10};
inline constexpr size_t kMaxVersionLength = 200;

struct VersionProbe {
  std::map<std::string, std::string> byScenario;  // scenarios whose command answered
  std::vector<std::string> warnings;              // one per command that did not
};

// The first non-empty line of a command's output, trimmed, printable and at
// most kMaxVersionLength bytes; "" when there is none.
std::string versionLine(const std::string& output);

// Each distinct version command of the scenarios runs once.
asio::awaitable<VersionProbe> probeVersions(const Config& config, std::vector<const Scenario*> scenarios,
                                            Cancellation cancel);

}  // namespace giflab
