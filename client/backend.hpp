#pragma once
// What giflab-perfctl asks of whoever does the work: the engine in-process
// (--local) or the daemon over D-Bus. Both answer with the same documents.
#include <atomic>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/cycle/engine.hpp"

namespace giflab::cli {

class Backend {
 public:
  virtual ~Backend() = default;
  virtual nlohmann::json status(bool verbose) = 0;
  virtual nlohmann::json baselineCreate(const std::vector<std::string>& scenarios, std::optional<int> iterations,
                                        const ProgressFn& progress) = 0;
  virtual nlohmann::json baselineUpdate(const std::vector<std::string>& scenarios, std::optional<int> iterations,
                                        const ProgressFn& progress) = 0;
  virtual nlohmann::json baselineList() = 0;
  virtual nlohmann::json baselineClear(const std::vector<std::string>& scenarios) = 0;
  virtual nlohmann::json monitor(const std::string& action, const ProgressFn& progress) = 0;
  virtual nlohmann::json history(const HistoryQuery& query) = 0;
  virtual nlohmann::json validate(const ProgressFn& progress) = 0;
  virtual nlohmann::json ci(const CheckOptions& options, const ProgressFn& progress) = 0;
  virtual nlohmann::json deps() = 0;
};

// Set by SIGINT/SIGTERM in the client: cancels the running operation.
std::atomic<bool>& interruptFlag();

}  // namespace giflab::cli
