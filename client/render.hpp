#pragma once
// Human-readable forms of the engine's documents.
#include <nlohmann/json.hpp>

namespace giflab::cli {

void renderStatus(const nlohmann::json& s, bool verbose);
void renderBaselines(const nlohmann::json& doc);           // create / update results
void renderBaselineList(const nlohmann::json& doc);
void renderCleared(const nlohmann::json& doc);
void renderCheck(const nlohmann::json& doc);
void renderValidate(const nlohmann::json& doc);
void renderHistory(const nlohmann::json& doc);
void renderAnalyze(const nlohmann::json& doc);
void renderDeps(const nlohmann::json& doc, bool verbose);
void renderMonitor(const nlohmann::json& doc);
void renderBisect(const nlohmann::json& doc);
void renderCompare(const nlohmann::json& doc);

}  // namespace giflab::cli
