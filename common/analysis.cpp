#include "common/analysis.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>

#include "common/stats.hpp"

namespace giflab {

namespace {

// The O(n^2) estimators get at most this many points: longer series are
// reduced to medians of consecutive blocks, which keeps their shape.
constexpr size_t kMaxTrendPoints = 1000;

void reduce(std::vector<double>& t, std::vector<double>& v) {
  if (t.size() <= kMaxTrendPoints) return;
  const size_t block = (t.size() + kMaxTrendPoints - 1) / kMaxTrendPoints;
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
    r.direction = "not enough data";
    return r;
  }
  r.enoughData = true;
  std::vector<double> days(times.size());
  for (size_t i = 0; i < times.size(); ++i) days[i] = (times[i] - times.front()) / 86400.0;
  std::vector<double> v = values;
  const auto ls = stats::leastSquares(days, v);
  r.slopePerDay = ls.slope;
  r.r2 = ls.r2;
  reduce(days, v);
  r.theilSenPerDay = stats::theilSen(days, v).slope;
  const double med = stats::median(v);
  r.relativePerDay = med != 0 ? r.theilSenPerDay / med : 0;
  r.mannKendallP = stats::mannKendall(v).pValue;
  if (r.mannKendallP < 1 - confidence) r.direction = r.theilSenPerDay > 0 ? "degrading" : r.theilSenPerDay < 0 ? "improving" : "stable";
  return r;
}

std::vector<ChangePoint> detectChangePoints(const std::vector<double>& values, const ChangePointOptions& o) {
  std::vector<ChangePoint> found;
  const size_t minSeg = std::max<size_t>(o.minSegment, 2);
  std::function<void(size_t, size_t)> split = [&](size_t a, size_t b) {
    const size_t n = b - a;
    if (n < 2 * minSeg) return;
    const std::span<const double> seg(values.data() + a, n);
    const auto r = stats::ranks(seg);
    const double nn = static_cast<double>(n);
    double cum = 0, best = -1;
    size_t bestStart = 0;
    for (size_t t = 0; t + 1 < n; ++t) {
      cum += r[t];
      const size_t start = t + 1;  // first index of the right part
      if (start < minSeg || n - start < minSeg) continue;
      const double u = std::fabs(2.0 * cum - static_cast<double>(start) * (nn + 1));
      if (u > best) best = u, bestStart = start;
    }
    if (best < 0) return;
    const double p = std::min(1.0, 2.0 * std::exp(-6.0 * best * best / (nn * nn * nn + nn * nn)));
    if (p >= o.alpha) return;
    const size_t cut = a + bestStart;
    const double before = stats::median(std::span<const double>(values.data() + a, cut - a));
    const double after = stats::median(std::span<const double>(values.data() + cut, b - cut));
    const double rel = before != 0 ? (after - before) / std::fabs(before) : (after - before);
    if (std::fabs(rel) < o.minRelativeChange) return;
    split(a, cut);
    found.push_back({cut, before, after, p, rel, after > before ? "regression" : "improvement"});
    split(cut, b);
  };
  split(0, values.size());
  // Medians of the final neighbouring segments describe each change best.
  for (size_t i = 0; i < found.size(); ++i) {
    const size_t lo = i == 0 ? 0 : found[i - 1].index;
    const size_t hi = i + 1 < found.size() ? found[i + 1].index : values.size();
    auto& cp = found[i];
    cp.before = stats::median(std::span<const double>(values.data() + lo, cp.index - lo));
    cp.after = stats::median(std::span<const double>(values.data() + cp.index, hi - cp.index));
    cp.relativeChange = cp.before != 0 ? (cp.after - cp.before) / std::fabs(cp.before) : 0;
    cp.direction = cp.after > cp.before ? "regression" : "improvement";
  }
  return found;
}

void to_json(nlohmann::json& j, const TrendResult& t) {
  j = {{"points", t.points},
       {"direction", t.direction},
       {"slope_per_day", t.slopePerDay},
       {"r_squared", t.r2},
       {"theil_sen_slope_per_day", t.theilSenPerDay},
       {"relative_slope_per_day", t.relativePerDay},
       {"mann_kendall_p", t.mannKendallP}};
}

}  // namespace giflab
