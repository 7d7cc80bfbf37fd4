#pragma once
// Checks of every D-Bus method argument, before any work starts. Pure
// functions (no bus), so that a fuzzer can drive them; each throws a named
// Error that becomes org.giflab.Perf1.Error.<Name> at the boundary.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/cycle/engine.hpp"

namespace giflab::daemon {

// Scenario names: well formed, not too many, all known to the config.
void checkScenarioNames(const Engine& engine, const std::vector<std::string>& names, bool monitoredOnly);
// 0 means the scenario's own; otherwise 3 to 1000.
std::optional<int> checkIterations(uint32_t iterations);
CheckOptions checkCiArguments(const Engine& engine, const std::string& action, double threshold,
                              const std::vector<std::string>& scenarios);
// GetHistoryEx's options: "min_change" and "sensitivity"; any other key is refused.
void applyHistoryOptions(HistoryQuery& query, const std::map<std::string, double>& numbers,
                         const std::map<std::string, std::string>& texts = {});
HistoryQuery checkHistoryArguments(const std::string& scenario, const std::string& metric, uint32_t days, bool trend,
                                   bool changes);

}  // namespace giflab::daemon
