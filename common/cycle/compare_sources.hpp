#pragma once
// `giflab-perfctl compare A B`: two sources of history (a file, or an
// environment's records in this machine's history) compared scenario by
// scenario over a window: medians, the Hodges-Lehmann ratio B/A with its
// confidence interval (on the log scale, so that 1.2 means B takes 20 %
// longer), a verdict per metric, and the machines side by side.
#include <filesystem>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

namespace giflab {

struct HistorySource {
  std::filesystem::path file;
  std::optional<std::string> environment;  // only this environment's records
  std::string label;                       // how the output names it
};

struct CompareOptions {
  int days = 30;            // the last N days of each source, counted back from its newest record
  double minChange = 0.05;  // differences smaller than this are "same" even when significant
  double confidence = 0.95;
};

// Verdicts: "slower" / "faster" when the interval excludes 1 and the ratio
// is at least 1 + minChange (or at most 1 / (1 + minChange)); "same"
// otherwise. Below 3 records on a side there is no verdict: the metric is
// listed under "too_few_records" instead of "comparisons". Throws
// InvalidArgument for an unreadable file or a source without records.
nlohmann::json compareSources(const HistorySource& a, const HistorySource& b, const CompareOptions& options);

}  // namespace giflab
