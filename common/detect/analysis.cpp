#include "common/detect/analysis.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <tuple>
#include <nlohmann/json.hpp>

#include "common/detect/stats.hpp"

namespace giflab {

namespace {

// The O(n^2) estimators get at most this many points: longer series are
// reduced to medians of consecutive blocks, which keeps their shape.
constexpr size_t kMaxTrendPoints = 256;

void reduceToBlocks(std::vector<double>& t, std::vector<double>& v, size_t maxPoints = kMaxTrendPoints) {
  if (t.size() <= maxPoints) return;
  const size_t block = (t.size() + maxPoints - 1) / maxPoints;
  std::vector<double> rt, rv;
  for (size_t i = 0; i < t.size(); i += block) {
    const size_t end = std::min(t.size(), i + block);
    rt.push_back(stats::median(std::span<const double>(t.data() + i, end - i)));
    rv.push_back(stats::median(std::span<const double>(v.data() + i, end - i)));
  }
  t.swap(rt);
  v.swap(rv);
}

}  // namespace

TrendResult analyzeTrend(const std::vector<double>& times, const std::vector<double>& values, double confidence) {
  TrendResult r;
  r.points = values.size();
  if (values.size() < 3) {
    r.direction = TrendDirection::NotEnoughData;
    return r;
  }
  r.enoughData = true;
  std::vector<double> days(times.size());
  for (size_t i = 0; i < times.size(); ++i) days[i] = (times[i] - times.front()) / 86400.0;
  std::vector<double> v = values;
  const auto ls = stats::leastSquares(days, v);
  r.slopePerDay = ls.slope;
  r.r2 = ls.r2;
  reduceToBlocks(days, v);
  r.theilSenPerDay = stats::theilSen(days, v).slope;
  const double med = stats::median(v);
  r.relativePerDay = med != 0 ? r.theilSenPerDay / med : 0;
  r.mannKendallP = stats::mannKendall(v).pValue;
  if (r.mannKendallP < 1 - confidence) r.direction = r.theilSenPerDay > 0   ? TrendDirection::Degrading
                                             : r.theilSenPerDay < 0 ? TrendDirection::Improving
                                                                    : TrendDirection::Stable;
  return r;
}

void to_json(nlohmann::json& j, const TrendResult& t) {
  j = {{"points", t.points},
       {"direction", kTrendDirectionNames.name(t.direction)},
       {"slope_per_day", t.slopePerDay},
       {"r_squared", t.r2},
       {"theil_sen_slope_per_day", t.theilSenPerDay},
       {"relative_slope_per_day", t.relativePerDay},
       {"mann_kendall_p", t.mannKendallP}};
}

}  // namespace giflab
