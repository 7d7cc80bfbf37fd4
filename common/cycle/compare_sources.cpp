#include "common/cycle/compare_sources.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/base/error.hpp"
#include "common/base/timeutil.hpp"
#include "common/detect/detection.hpp"
#include "common/detect/stats.hpp"
#include "common/measure/fingerprint.hpp"
#include "common/store/history.hpp"

namespace giflab {
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr size_t kMinRecords = 3;

struct SourceData {
  std::map<std::string, std::vector<HistoryPoint>> byScenario;
  std::string newestFingerprint;  // of the newest record that has one
  SysTime newest{};
  size_t records = 0;
};

SourceData load(const HistorySource& source, int days) {
  std::error_code ec;
  if (!fs::is_regular_file(source.file, ec))
    throw Error(ErrorKind::InvalidArgument, source.file.string() +
                                                ": no such history file; give a JSON Lines history file, or --env NAME "
                                                "for an environment in this machine's history");
  HistoryFilter filter;
  filter.environment = source.environment;
  filter.withFingerprint = true;
  std::vector<HistoryPoint> all;
  SourceData d;
  readHistoryFile(source.file, filter, [&](const HistoryPoint& p) {
    if (p.time >= d.newest) {
      d.newest = p.time;
      if (!p.fingerprint.empty()) d.newestFingerprint = p.fingerprint;
    }
    all.push_back(p);
  });
  if (all.empty())
    throw Error(ErrorKind::InvalidArgument,
                "no history records for " + source.label +
                    (source.environment ? " (environment \"" + *source.environment + "\" in " + source.file.string() + ")"
                                        : " in " + source.file.string()) +
                    "; check the name with 'giflab-perfctl history --json' (each record's \"environment\")");
  const SysTime from = d.newest - std::chrono::hours(24) * days;
  for (auto& p : all)
    if (p.time >= from) d.byScenario[p.scenario].push_back(std::move(p)), ++d.records;
  return d;
}

json fingerprintOf(const std::string& text) {
  if (text.empty()) return json::object();
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return json::object();
  Fingerprint f;
  from_json(j, f);
  return f;
}

json compareMetric(const std::vector<HistoryPoint>& a, const std::vector<HistoryPoint>& b, const std::string& metric,
                   const CompareOptions& o) {
  auto values = [&](const std::vector<HistoryPoint>& points) {
    std::vector<double> v;
    for (const auto& p : points) v.push_back(metric == kMemoryUsage ? p.memoryUsage : p.processingTime);
    return v;
  };
  const auto va = values(a), vb = values(b);
  json out = {{"metric", metric},      {"a_median", stats::median(va)}, {"b_median", stats::median(vb)},
              {"a_records", va.size()}, {"b_records", vb.size()},      {"unit", unitOf(metric)}};
  const bool positive = std::all_of(va.begin(), va.end(), [](double x) { return x > 0; }) &&
                        std::all_of(vb.begin(), vb.end(), [](double x) { return x > 0; });
  if (va.size() < kMinRecords || vb.size() < kMinRecords || !positive) return out;  // no verdict: listed apart
  // On the log scale the shift is a ratio, and the interval stays one.
  const auto hl = stats::hodgesLehmann(stats::logs(vb), stats::logs(va), o.confidence);
  const double ratio = std::exp(hl.shift), low = std::exp(hl.ci.low), high = std::exp(hl.ci.high);
  std::string verdict = "same";
  if (low > 1 && ratio >= 1 + o.minChange) verdict = "slower";
  else if (high < 1 && ratio <= 1 / (1 + o.minChange)) verdict = "faster";
  out.update({{"ratio", ratio}, {"ratio_ci", {low, high}}, {"verdict", verdict}});
  return out;
}

}  // namespace

json compareSources(const HistorySource& a, const HistorySource& b, const CompareOptions& o) {
  if (o.days < 1 || o.days > 3650) throw Error(ErrorKind::InvalidArgument, "--days must be from 1 to 3650");
  if (!(o.minChange >= 0 && o.minChange <= 10))
    throw Error(ErrorKind::InvalidArgument, "--min-change must be from 0 to 10 (0.05 means 5 %)");
  const SourceData da = load(a, o.days), db = load(b, o.days);
  const json fa = fingerprintOf(da.newestFingerprint), fb = fingerprintOf(db.newestFingerprint);
  json differences = json::array();
  if (!fa.empty() && !fb.empty()) {
    Fingerprint x, y;
    from_json(fa, x);
    from_json(fb, y);
    for (const auto& field : x.differences(y)) differences.push_back(field);
  }
  json comparisons = json::array(), tooFew = json::array(), onlyA = json::array(), onlyB = json::array();
  for (const auto& [scenario, points] : da.byScenario) {
    auto other = db.byScenario.find(scenario);
    if (other == db.byScenario.end()) {
      onlyA.push_back(scenario);
      continue;
    }
    for (const char* metric : {kProcessingTime, kMemoryUsage}) {
      json c = compareMetric(points, other->second, metric, o);
      c["scenario"] = scenario;
      (c.contains("verdict") ? comparisons : tooFew).push_back(c);
    }
  }
  for (const auto& [scenario, points] : db.byScenario)
    if (!da.byScenario.count(scenario)) onlyB.push_back(scenario);
  auto describe = [](const HistorySource& s, const SourceData& d, const json& fingerprint) {
    json j = {{"label", s.label}, {"file", s.file.string()}, {"records", d.records},
              {"newest", formatIso8601(d.newest)}, {"fingerprint", fingerprint}};
    if (s.environment) j["environment"] = *s.environment;
    return j;
  };
  return {{"a", describe(a, da, fa)},
          {"b", describe(b, db, fb)},
          {"days", o.days},
          {"min_change", o.minChange},
          {"confidence", o.confidence},
          {"fingerprint_differences", differences},
          {"comparisons", comparisons},
          {"too_few_records", tooFew},
          {"only_in_a", onlyA},
          {"only_in_b", onlyB}};
}

}  // namespace giflab
