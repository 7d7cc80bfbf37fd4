#include "common/alert_state.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/atomic_file.hpp"

namespace giflab {
using nlohmann::json;

void to_json(json& j, const AlertEntry& a) {
  j = {{"scenario", a.scenario}, {"metric", a.metric},   {"severity", a.severity}, {"regression", a.regression},
       {"current", a.current},   {"baseline", a.baseline}, {"since", a.since}};
  if (!a.began.empty()) j["began"] = a.began;
}

void from_json(const json& j, AlertEntry& a) {
  a.scenario = j.at("scenario").get<std::string>();
  a.metric = j.at("metric").get<std::string>();
  a.severity = j.value("severity", "info");
  a.regression = j.value("regression", 0.0);
  a.current = j.value("current", 0.0);
  a.baseline = j.value("baseline", 0.0);
  a.since = j.value("since", "");
  a.began = j.value("began", "");
}

AlertState AlertStore::load() const {
  AlertState s;
  std::ifstream in(path_);
  if (!in) return s;
  std::stringstream ss;
  ss << in.rdbuf();
  const json doc = json::parse(ss.str(), nullptr, false);
  if (!doc.is_object()) return s;
  try {
    s.open = doc.value("open", json::array()).get<std::vector<AlertEntry>>();
    s.pending = doc.value("pending", json::array()).get<std::vector<AlertEntry>>();
  } catch (const json::exception&) {
    return {};
  }
  return s;
}

void AlertStore::save(const AlertState& state) const {
  ensureDirectory(path_.parent_path());
  writeFileAtomically(path_, json{{"open", state.open}, {"pending", state.pending}}.dump(2) + "\n");
}

}  // namespace giflab
