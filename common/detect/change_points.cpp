// Change points of a history series: a robust multiscale moving-sum (MOSUM)
// scan. Chosen by measurement against the peers (Pettitt segmentation,
// Perfherder's t-test, Otava's E-divisive, E-divisive with permutations,
// z-score) on real performance histories; docs/detection-evaluation.md has
// the tables, tools/cp-reference/method.py the reference it was ported from.
//
//  1. noise: sigma1 = MAD of first differences / sqrt 2 (white noise), sigma
//     = the larger of it and the scales of differences of block means (2, 4,
//     8 points), which grow under autocorrelated noise but not on a trend;
//  2. spikes: the series is clipped to a running median (9 points) +- 3
//     sigma1, so bursts of up to 4 points cannot form a regime;
//  3. scan: for window sizes G = 5 ... 205 the standardised difference of
//     the means right and left of every point, windows cut at the ends;
//     local maxima above the MOSUM critical value (Eichinger & Kirch 2018)
//     are candidates: the scan looks locally, so a step near the end of a
//     long series is seen as in a short one;
//  4. candidates from small windows first, a larger window adds one only
//     away from those accepted; each is moved to the best split between its
//     neighbours;
//  5. each change point is re-tested on its neighbouring segments (at most
//     250 points a side): scan-adjusted p <= alpha, a relative change that
//     can reach min_change (within 2.5 standard errors), and a jump that
//     stays (|t| >= 3) when a common linear trend is fitted; the weakest
//     failing one is removed and its neighbours re-tested, until all pass.
#include "common/detect/analysis.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "common/base/error.hpp"
#include "common/detect/stats.hpp"

namespace giflab {

namespace {

constexpr size_t kMinRegime = 5;
constexpr double kClipSigmas = 3.0;
constexpr size_t kRunningMedianWidth = 2 * kMinRegime - 1;
constexpr size_t kWindows[] = {5, 8, 12, 18, 27, 41, 61, 91, 137, 205};
constexpr size_t kRetestCap = 250;
constexpr double kTrendJumpT = 3.0;
constexpr double kMinChangeTolerance = 2.5;  // standard errors
constexpr size_t kShiftSidePoints = 100;

double madScaled(std::vector<double> v) {
  if (v.empty()) return 0;
  const double m = stats::median(v);
  for (double& x : v) x = std::fabs(x - m);
  return 1.4826 * stats::median(v);
}

std::vector<double> diffs(const std::vector<double>& x) {
  std::vector<double> d;
  for (size_t i = 1; i < x.size(); ++i) d.push_back(x[i] - x[i - 1]);
  return d;
}

double whiteScale(const std::vector<double>& x) {
  const auto d = diffs(x);
  double s = madScaled(d) / std::numbers::sqrt2;
  if (s == 0 && !d.empty()) {  // heavily quantised series
    const double m = stats::median(d);
    double sum = 0;
    for (double v : d) sum += std::fabs(v - m);
    s = 1.2533 * sum / static_cast<double>(d.size()) / std::numbers::sqrt2;
  }
  std::vector<double> absolute(x);
  for (double& v : absolute) v = std::fabs(v);
  const double level = stats::median(absolute);
  return std::max(s, level > 0 ? 1e-9 * level : 1e-12);
}

double longRunScale(const std::vector<double>& y, double white) {
  double s = white;
  for (size_t b : {2, 4, 8}) {
    const size_t m = y.size() / b;
    if (m < 12) continue;
    std::vector<double> means(m);
    for (size_t i = 0; i < m; ++i) {
      double sum = 0;
      for (size_t j = 0; j < b; ++j) sum += y[i * b + j];
      means[i] = sum / static_cast<double>(b);
    }
    s = std::max(s, madScaled(diffs(means)) * std::sqrt(static_cast<double>(b) / 2.0));
  }
  return s;
}

// Centred, with the window shifted inward (not cut) at the ends: a burst of
// a few points at the start or the end is outvoted like one in the middle,
// instead of becoming the median of a cut window (and a change point).
std::vector<double> runningMedian(const std::vector<double>& x, size_t width) {
  const size_t n = x.size(), h = width / 2;
  std::vector<double> out(n), window;
  for (size_t i = 0; i < n; ++i) {
    size_t lo = i >= h ? i - h : 0;
    if (n >= width) lo = std::min(lo, n - width);
    const size_t hi = std::min(n, lo + width);
    window.assign(x.begin() + static_cast<long>(lo), x.begin() + static_cast<long>(hi));
    out[i] = stats::median(window);
  }
  return out;
}

// The Gumbel limit of the MOSUM statistic's supremum (R package mosum).
struct Gumbel {
  double a, b;
  Gumbel(size_t n, size_t gMin, size_t gMax) {
    const double x = std::max(static_cast<double>(n) / static_cast<double>(gMin), 2.0 * std::numbers::e);
    const double k = static_cast<double>(gMin) / static_cast<double>(gMax);
    a = std::sqrt(2 * std::log(x));
    b = 2 * std::log(x) + 0.5 * std::log(std::log(x)) + std::log((k * k + k + 1) / (k + 1)) -
        0.5 * std::log(std::numbers::pi);
  }
  double critical(double alpha) const { return (b - std::log(std::log(1.0 / std::sqrt(1.0 - alpha)))) / a; }
  double pValue(double t) const {
    return std::clamp(1.0 - std::exp(-2.0 * std::exp(-(a * std::fabs(t) - b))), 0.0, 1.0);
  }
};

class Detector {
 public:
  Detector(const std::vector<double>& x, const ChangePointOptions& o) : x_(x), o_(o), n_(x.size()) {
    white_ = whiteScale(x_);
    const auto med = runningMedian(x_, kRunningMedianWidth);
    y_.resize(n_);
    for (size_t i = 0; i < n_; ++i)
      y_[i] = std::clamp(x_[i], med[i] - kClipSigmas * white_, med[i] + kClipSigmas * white_);
    sigma_ = longRunScale(y_, white_);
    // Prefix sums around the median, in long double: a million points with
    // a large offset and little noise keep their differences.
    offset_ = stats::median(y_);
    prefix_.assign(n_ + 1, 0.0L);
    for (size_t i = 0; i < n_; ++i) prefix_[i + 1] = prefix_[i] + static_cast<long double>(y_[i] - offset_);
  }

  std::vector<ChangePoint> run() {
    scan();
    prune();
    return report();
  }

 private:
  struct Test {
    bool ok = false;
    double score = -1, t = 0, p = 1;
    size_t a = 0, b = 0;
  };

  double mean(size_t a, size_t b) const {
    return static_cast<double>((prefix_[b] - prefix_[a]) / static_cast<long double>(b - a)) + offset_;
  }

  void scan() {
    std::vector<size_t> windows;
    for (size_t g : kWindows)
      if (g <= n_ / 2) windows.push_back(g);
    if (windows.empty()) windows.push_back(kMinRegime);
    struct Candidate {
      size_t g, t;
      double strength;
    };
    std::vector<Candidate> candidates;
    std::vector<double> strength(n_ + 1, 0.0);
    for (size_t g : windows) {
      const double critical = Gumbel(n_, g, g).critical(o_.alpha);
      for (size_t t = kMinRegime; t + kMinRegime <= n_; ++t) {
        const size_t nl = std::min(g, t), nr = std::min(g, n_ - t);
        strength[t] = std::fabs((mean(t, t + nr) - mean(t - nl, t)) /
                                (sigma_ * std::sqrt(1.0 / static_cast<double>(nl) + 1.0 / static_cast<double>(nr))));
      }
      const size_t h = std::max<size_t>(1, g / 2);
      for (size_t t = kMinRegime; t + kMinRegime <= n_; ++t) {
        if (strength[t] <= critical) continue;
        // The leftmost maximum within +-G/2.
        const size_t lo = std::max(kMinRegime, t >= h ? t - h : 0), hi = std::min(n_ - kMinRegime, t + h);
        bool best = true;
        for (size_t u = lo; u <= hi && best; ++u)
          if (strength[u] > strength[t] || (u < t && strength[u] == strength[t])) best = false;
        if (best) candidates.push_back({g, t, strength[t]});
      }
    }
    std::sort(candidates.begin(), candidates.end(), [](const Candidate& l, const Candidate& r) {
      return l.g != r.g ? l.g < r.g : l.strength > r.strength;
    });
    std::vector<std::pair<size_t, size_t>> accepted;  // (t, G)
    for (const auto& c : candidates) {
      const size_t reach = std::max(kMinRegime, c.g / 2);
      const bool near = std::any_of(accepted.begin(), accepted.end(), [&](const auto& a) {
        return (a.first > c.t ? a.first - c.t : c.t - a.first) <= reach;
      });
      if (!near) accepted.push_back({c.t, c.g});
    }
    std::sort(accepted.begin(), accepted.end());
    for (const auto& [t, g] : accepted) cps_.push_back({t, g});
    std::vector<size_t> refined(cps_.size());
    for (size_t k = 0; k < cps_.size(); ++k) refined[k] = refine(k);  // all against the unrefined neighbours
    for (size_t k = 0; k < cps_.size(); ++k) cps_[k].t = refined[k];
    std::sort(cps_.begin(), cps_.end(), [](const auto& l, const auto& r) { return l.t < r.t; });
    cps_.erase(std::unique(cps_.begin(), cps_.end(), [](const auto& l, const auto& r) { return l.t == r.t; }),
               cps_.end());
  }

  size_t left(size_t k) const { return k > 0 ? cps_[k - 1].t : 0; }
  size_t right(size_t k) const { return k + 1 < cps_.size() ? cps_[k + 1].t : n_; }

  // The best split between the neighbours, within the detecting window.
  size_t refine(size_t k) const {
    const size_t c = cps_[k].t, g = cps_[k].g, a = left(k), b = right(k);
    const size_t lo = std::max(a, c >= 2 * g ? c - 2 * g : 0), hi = std::min(b, c + 2 * g);
    const size_t from = std::max(lo + kMinRegime, c >= g ? c - g : 0);
    const size_t to = std::min(hi >= kMinRegime ? hi - kMinRegime : 0, c + g);
    size_t best = c;
    double bestValue = -1;
    for (size_t t = from; t <= to; ++t) {
      const double nl = static_cast<double>(t - lo), nr = static_cast<double>(hi - t);
      const double v = std::fabs(mean(t, hi) - mean(lo, t)) * std::sqrt(nl * nr / (nl + nr));
      if (v > bestValue) bestValue = v, best = t;
    }
    return best;
  }

  Test test(size_t k) const {
    Test r;
    const size_t c = cps_[k].t;
    r.a = std::max(left(k), c >= kRetestCap ? c - kRetestCap : 0);
    r.b = std::min(right(k), c + kRetestCap);
    const size_t nl = c - r.a, nr = r.b - c;
    if (nl < kMinRegime || nr < kMinRegime) return r;
    const double se = sigma_ * std::sqrt(1.0 / static_cast<double>(nl) + 1.0 / static_cast<double>(nr));
    const double yl = mean(r.a, c), yr = mean(c, r.b);
    r.t = (yr - yl) / se;
    const Gumbel limit(n_, std::min(nl, nr), std::max(nl, nr));
    const double critical = limit.critical(o_.alpha);
    r.p = limit.pValue(r.t);
    r.score = std::fabs(r.t) / critical;
    const double denom = std::min(std::fabs(yl), std::fabs(yr));
    const double rel = denom > 0 ? std::fabs(yr - yl) / denom : INFINITY;
    const double relSe = denom > 0 ? se / denom : 0;
    r.ok = std::fabs(r.t) > critical && rel + kMinChangeTolerance * relSe >= o_.minRelativeChange;
    if (r.ok && nl >= 3 && nr >= 3) r.ok = std::fabs(jumpWithTrend(r.a, c, r.b)) >= kTrendJumpT;
    return r;
  }

  // The t statistic of the step in y[a,b) ~ 1 + slope * t + jump * [t >= c].
  double jumpWithTrend(size_t a, size_t c, size_t b) const {
    const double tMean = (static_cast<double>(a) + static_cast<double>(b) - 1) / 2.0;
    double xtx[3][3] = {}, xty[3] = {};
    for (size_t i = a; i < b; ++i) {
      const double row[3] = {1.0, static_cast<double>(i) - tMean, i >= c ? 1.0 : 0.0};
      for (int p = 0; p < 3; ++p) {
        xty[p] += row[p] * y_[i];
        for (int q = 0; q < 3; ++q) xtx[p][q] += row[p] * row[q];
      }
    }
    // Inverse of the symmetric 3x3 by cofactors.
    const double c00 = xtx[1][1] * xtx[2][2] - xtx[1][2] * xtx[2][1];
    const double c01 = -(xtx[1][0] * xtx[2][2] - xtx[1][2] * xtx[2][0]);
    const double c02 = xtx[1][0] * xtx[2][1] - xtx[1][1] * xtx[2][0];
    const double det = xtx[0][0] * c00 + xtx[0][1] * c01 + xtx[0][2] * c02;
    if (std::fabs(det) < 1e-300) return 0;
    const double c21 = -(xtx[0][0] * xtx[1][2] - xtx[0][2] * xtx[1][0]);
    const double c22 = xtx[0][0] * xtx[1][1] - xtx[0][1] * xtx[1][0];
    // Row 2 of the inverse is the third cofactor column over det (symmetric matrix).
    const double inv20 = c02 / det, inv21 = c21 / det, inv22 = c22 / det;
    const double jump = inv20 * xty[0] + inv21 * xty[1] + inv22 * xty[2];
    return jump / (sigma_ * std::sqrt(std::max(inv22, 1e-300)));
  }

  void prune() {
    std::vector<Test> tests(cps_.size());
    for (size_t k = 0; k < cps_.size(); ++k) tests[k] = test(k);
    for (;;) {
      size_t weakest = cps_.size();
      for (size_t k = 0; k < cps_.size(); ++k)
        if (!tests[k].ok && (weakest == cps_.size() || tests[k].score < tests[weakest].score)) weakest = k;
      if (weakest == cps_.size()) break;
      cps_.erase(cps_.begin() + static_cast<long>(weakest));
      tests.erase(tests.begin() + static_cast<long>(weakest));
      for (size_t j : {weakest - 1, weakest})  // weakest - 1 wraps when weakest is 0: skipped below
        if (j < cps_.size()) cps_[j].t = refine(j);
      const size_t from = weakest >= 2 ? weakest - 2 : 0;
      for (size_t j = from; j < std::min(cps_.size(), weakest + 2); ++j) tests[j] = test(j);
    }
  }

  std::vector<ChangePoint> report() const {
    std::vector<ChangePoint> out;
    const double widen = std::max(1.0, sigma_ / white_);
    for (size_t k = 0; k < cps_.size(); ++k) {
      const Test r = test(k);
      const size_t c = cps_[k].t;
      ChangePoint cp;
      cp.index = c;
      cp.before = stats::median(std::span<const double>(x_.data() + r.a, c - r.a));
      cp.after = stats::median(std::span<const double>(x_.data() + c, r.b - c));
      cp.pValue = r.p;
      cp.relativeChange = cp.before != 0 ? (cp.after - cp.before) / std::fabs(cp.before) : 0;
      cp.direction = cp.after > cp.before ? ChangeDirection::Regression : ChangeDirection::Improvement;
      const size_t la = std::max(r.a, c >= kShiftSidePoints ? c - kShiftSidePoints : 0);
      const size_t rb = std::min(r.b, c + kShiftSidePoints);
      const stats::PairwiseShifts shifts(std::span<const double>(x_.data() + c, rb - c),
                                         std::span<const double>(x_.data() + la, c - la));
      const double shift = shifts.estimate();
      const auto ci = shifts.interval(0.95);
      cp.shift = shift;
      cp.shiftLow = shift - widen * (shift - ci.low);
      cp.shiftHigh = shift + widen * (ci.high - shift);
      out.push_back(cp);
    }
    return out;
  }

  struct Point {
    size_t t, g;
  };
  const std::vector<double>& x_;
  const ChangePointOptions& o_;
  size_t n_;
  std::vector<double> y_;
  double white_ = 0, sigma_ = 0, offset_ = 0;
  std::vector<long double> prefix_;
  std::vector<Point> cps_;
};

}  // namespace

void requireChangePointOptions(const ChangePointOptions& o) {
  if (!(o.minRelativeChange >= 0 && o.minRelativeChange <= 10))
    throw Error(ErrorKind::InvalidArgument, "--min-change must be from 0 to 10 (0.02 means 2 %), got " +
                                                std::to_string(o.minRelativeChange));
  if (!(o.alpha > 0 && o.alpha <= 0.5))
    throw Error(ErrorKind::InvalidArgument,
                "--sensitivity must be above 0 and at most 0.5 (the chance of a false change point in a series; "
                "default 0.001), got " + std::to_string(o.alpha));
}

std::vector<ChangePoint> detectChangePoints(const std::vector<double>& values, const ChangePointOptions& options) {
  // Non-finite values are left out; indices map back to the input.
  std::vector<double> finite;
  std::vector<size_t> where;
  for (size_t i = 0; i < values.size(); ++i)
    if (std::isfinite(values[i])) finite.push_back(values[i]), where.push_back(i);
  if (finite.size() < 2 * kMinRegime) return {};
  auto found = Detector(finite, options).run();
  for (auto& cp : found) cp.index = where[cp.index];
  return found;
}

}  // namespace giflab
