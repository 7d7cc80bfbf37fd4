#include "common/analysis.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <tuple>
#include <nlohmann/json.hpp>

#include "common/stats.hpp"

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

// The segment [a, b) minus its Theil-Sen line (slope from at most
// kMaxTrendPoints block medians, so long histories stay cheap).
std::vector<double> detrended(const std::vector<double>& values, size_t a, size_t b) {
  std::vector<double> x, y;
  for (size_t i = a; i < b; ++i) x.push_back(static_cast<double>(i - a)), y.push_back(values[i]);
  std::vector<double> rx = x, ry = y;
  reduceToBlocks(rx, ry, 64);  // the slope only decides step or line: 64 block medians suffice
  const double slope = stats::theilSen(rx, ry).slope;
  for (size_t i = 0; i < y.size(); ++i) y[i] -= slope * x[i];
  return y;
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
  reduceToBlocks(days, v);
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
  // Pettitt's statistic over a segment: the best split (first index of the
  // right part, relative to the segment) and its p-value; best < 0 for none.
  auto bestSplit = [&](const std::vector<double>& seg) {
    const auto r = stats::pettitt(seg, minSeg);
    return std::tuple<size_t, double, double>{r.index + 1, r.k, r.pValue};
  };
  std::function<void(size_t, size_t)> split = [&](size_t a, size_t b) {
    const size_t n = b - a;
    if (n < 2 * minSeg) return;
    const std::vector<double> raw(values.begin() + static_cast<long>(a), values.begin() + static_cast<long>(b));
    size_t bestStart = 0;
    double best = -1, p = 1;
    std::tie(bestStart, best, p) = bestSplit(raw);
    if (best < 0) return;
    // A steady trend is not a change point (the trend analysis reports
    // creep): when one straight line fits the segment better than one step,
    // the step is looked for in what is left after the line.
    auto absResidual = [](const std::vector<double>& y, auto fitted) {
      double sum = 0;
      for (size_t i = 0; i < y.size(); ++i) sum += std::fabs(y[i] - fitted(i));
      return sum;
    };
    const double leftMed = stats::median(std::span<const double>(raw.data(), bestStart));
    const double rightMed = stats::median(std::span<const double>(raw.data() + bestStart, n - bestStart));
    const double stepFit = absResidual(raw, [&](size_t i) { return i < bestStart ? leftMed : rightMed; });
    const std::vector<double> flat = detrended(values, a, b);
    const double flatMed = stats::median(flat);
    const double lineFit = absResidual(flat, [&](size_t) { return flatMed; });
    const bool trend = lineFit < stepFit;
    if (trend) std::tie(bestStart, best, p) = bestSplit(flat);
    const std::vector<double>& seg = trend ? flat : raw;
    if (best < 0 || p >= o.alpha) return;
    const size_t cut = a + bestStart;
    const double before = stats::median(std::span<const double>(seg.data(), bestStart));
    const double after = stats::median(std::span<const double>(seg.data() + bestStart, n - bestStart));
    const double scale = std::fabs(stats::median(std::span<const double>(raw.data(), bestStart)));
    const double rel = scale != 0 ? (after - before) / scale : (after - before);
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
