#include "common/measure/version_probe.hpp"

#include "common/base/error.hpp"
#include "common/base/text.hpp"
#include "common/measure/runner.hpp"

namespace giflab {

std::string versionLine(const std::string& output) {
  size_t start = 0;
  while (start < output.size()) {
    size_t end = output.find('\n', start);
    if (end == std::string::npos) end = output.size();
    std::string line = output.substr(start, end - start);
    const auto first = line.find_first_not_of(" \t\r");
    if (first != std::string::npos) {
      line = line.substr(first, line.find_last_not_of(" \t\r") + 1 - first);
      std::string shown = printable(line);
      if (shown.size() > kMaxVersionLength) {
        shown.resize(kMaxVersionLength);
        // Not in the middle of a character.
        while (!shown.empty() && (static_cast<unsigned char>(shown.back()) & 0xC0) == 0x80) shown.pop_back();
        if (!shown.empty() && (static_cast<unsigned char>(shown.back()) & 0x80)) shown.pop_back();
      }
      return shown;
    }
    start = end + 1;
  }
  return "";
}

asio::awaitable<VersionProbe> probeVersions(const Config& config, std::vector<const Scenario*> scenarios,
                                            Cancellation cancel) {
  VersionProbe probe;
  std::map<std::vector<std::string>, std::string> answered;  // command -> version ("" : failed)
  for (const Scenario* s : scenarios) {
    const auto& command = s->version_command.empty() ? config.version_command : s->version_command;
    if (command.empty()) continue;
    auto known = answered.find(command);
    if (known == answered.end()) {
      CommandOptions options;
      options.captureStdoutBytes = 4096;
      const CommandOutcome out = co_await measureCommand(command, kVersionTimeout, cancel, options);
      if (out.cancelled) throw Error(ErrorKind::Cancelled, "cancelled");
      std::string version = out.succeeded() ? versionLine(out.stdoutHead) : "";
      if (!out.succeeded())
        probe.warnings.push_back("the version command of " + s->name + " failed, so this check records no version: " +
                                 printable(out.describeFailure(command.front(), kVersionTimeout.count())) +
                                 "; fix version_command in the config or remove it");
      else if (version.empty())
        probe.warnings.push_back("the version command of " + s->name + " (" + printable(command.front()) +
                                 ") printed nothing, so this check records no version");
      known = answered.emplace(command, std::move(version)).first;
    }
    if (!known->second.empty()) probe.byScenario[s->name] = known->second;
  }
  co_return probe;
}

}  // namespace giflab
