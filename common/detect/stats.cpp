#include "common/detect/stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>

namespace giflab::stats {

double mean(std::span<const double> x) {
  if (x.empty()) return std::numeric_limits<double>::quiet_NaN();
  // Kahan-free two-pass is plenty for benchmark sizes.
  return std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size());
}

double sampleStd(std::span<const double> x) {
  if (x.size() < 2) return 0.0;
  const double m = mean(x);
  double ss = 0;
  for (double v : x) ss += (v - m) * (v - m);
  return std::sqrt(ss / static_cast<double>(x.size() - 1));
}

double percentile(std::span<const double> x, double p) {
  if (x.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::vector<double> s(x.begin(), x.end());
  std::sort(s.begin(), s.end());
  const double pos = std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(s.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, s.size() - 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - static_cast<double>(lo));
}

double median(std::span<const double> x) { return percentile(x, 50.0); }

std::vector<double> logs(std::span<const double> x) {
  std::vector<double> out;
  out.reserve(x.size());
  for (double v : x) out.push_back(std::log(std::max(v, 1e-9)));
  return out;
}

double mad(std::span<const double> x) {
  if (x.empty()) return std::numeric_limits<double>::quiet_NaN();
  const double m = median(x);
  std::vector<double> d;
  d.reserve(x.size());
  for (double v : x) d.push_back(std::fabs(v - m));
  return median(d);
}

double normalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

double normalQuantile(double p) {
  // Wichura's AS241 (PPND16), accurate to about 1e-16.
  if (!(p > 0 && p < 1)) {
    if (p == 0) return -std::numeric_limits<double>::infinity();
    if (p == 1) return std::numeric_limits<double>::infinity();
    return std::numeric_limits<double>::quiet_NaN();
  }
  const double q = p - 0.5;
  if (std::fabs(q) <= 0.425) {
    const double r = 0.180625 - q * q;
    return q *
           (((((((2509.0809287301226727 * r + 33430.575583588128105) * r + 67265.770927008700853) * r +
               45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r +
             133.14166789178437745) * r + 3.387132872796366608) /
           (((((((5226.495278852545925 * r + 28729.085735721942674) * r + 39307.89580009271061) * r +
               21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r +
             42.313330701600911252) * r + 1.0);
  }
  double r = q < 0 ? p : 1 - p;
  r = std::sqrt(-std::log(r));
  double val;
  if (r <= 5.0) {
    r -= 1.6;
    val = (((((((7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r + 0.24178072517745061177) * r +
               1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r +
            4.6303378461565452959) * r + 1.42343711074968357734) /
          (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r +
               0.14810397642748007459) * r + 0.68976733498510000455) * r + 1.6763848301838038494) * r +
            2.05319162663775882187) * r + 1.0);
  } else {
    r -= 5.0;
    val = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r +
               0.026532189526576123093) * r + 0.29656057182850489123) * r + 1.7848265399172913358) * r +
            5.4637849111641143699) * r + 6.6579046435011037772) /
          (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r +
               7.868691311456132591e-4) * r + 0.0148753612908506148525) * r + 0.13692988092273580531) * r +
            0.59983220655588793769) * r + 1.0);
  }
  return q < 0 ? -val : val;
}

double zForConfidence(double confidence) { return normalQuantile(0.5 + confidence / 2.0); }

Interval confidenceInterval(std::span<const double> x, double confidence) {
  const double m = mean(x);
  if (x.size() < 2) return {m, m};
  const double half = zForConfidence(confidence) * sampleStd(x) / std::sqrt(static_cast<double>(x.size()));
  return {m - half, m + half};
}

Interval medianInterval(std::span<const double> x, double confidence) {
  if (x.empty()) return {};
  std::vector<double> sorted(x.begin(), x.end());
  std::sort(sorted.begin(), sorted.end());
  const size_t n = sorted.size();
  const double tail = (1 - confidence) / 2;
  // P(B <= j) for B ~ Binomial(n, 1/2), summed in logs so that large n stays finite.
  size_t k = 1;  // 1-based: x(1) and x(n), the range
  double below = 0;
  for (size_t j = 0; j + 1 < (n + 1) / 2; ++j) {
    below += std::exp(std::lgamma(n + 1.0) - std::lgamma(j + 1.0) - std::lgamma(n - j + 1.0) - static_cast<double>(n) * std::log(2.0));
    if (below > tail) break;
    k = j + 1;  // P(B < j + 1) = P(B <= j) is within the tail
  }
  return {sorted[k - 1], sorted[n - k]};
}

Interval controlLimits(double m, double s, double confidence) {
  const double z = zForConfidence(confidence);
  return {m - z * s, m + z * s};
}

LinearFit leastSquares(std::span<const double> x, std::span<const double> y) {
  if (x.size() != y.size()) throw std::invalid_argument("leastSquares: x and y differ in length");
  LinearFit f;
  if (x.size() < 2) return f;
  const double mx = mean(x), my = mean(y);
  double sxx = 0, sxy = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (sxx == 0) return f;
  f.slope = sxy / sxx;
  f.intercept = my - f.slope * mx;
  f.r2 = syy == 0 ? 1.0 : (sxy * sxy) / (sxx * syy);
  return f;
}

LinearFit theilSen(std::span<const double> x, std::span<const double> y) {
  if (x.size() != y.size()) throw std::invalid_argument("theilSen: x and y differ in length");
  LinearFit f;
  if (x.size() < 2) return f;
  std::vector<double> slopes;
  slopes.reserve(x.size() * (x.size() - 1) / 2);
  for (size_t i = 0; i < x.size(); ++i)
    for (size_t j = i + 1; j < x.size(); ++j)
      if (x[j] != x[i]) slopes.push_back((y[j] - y[i]) / (x[j] - x[i]));
  if (slopes.empty()) return f;
  // The median without a full sort: O(n) on the n^2/2 slopes.
  const size_t mid = slopes.size() / 2;
  std::nth_element(slopes.begin(), slopes.begin() + static_cast<long>(mid), slopes.end());
  f.slope = slopes[mid];
  if (slopes.size() % 2 == 0)
    f.slope = (f.slope + *std::max_element(slopes.begin(), slopes.begin() + static_cast<long>(mid))) / 2;
  std::vector<double> icpt(x.size());
  for (size_t i = 0; i < x.size(); ++i) icpt[i] = y[i] - f.slope * x[i];
  f.intercept = median(icpt);
  return f;
}

std::vector<double> ranks(std::span<const double> x) {
  std::vector<size_t> idx(x.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return x[a] < x[b]; });
  std::vector<double> r(x.size());
  for (size_t i = 0; i < idx.size();) {
    size_t j = i;
    while (j + 1 < idx.size() && x[idx[j + 1]] == x[idx[i]]) ++j;
    const double avg = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;
    for (size_t k = i; k <= j; ++k) r[idx[k]] = avg;
    i = j + 1;
  }
  return r;
}

namespace {

// Number of arrangements giving each U for sample sizes m, n: the
// coefficients of the Gaussian binomial [m+n choose m] in q.
std::vector<double> exactUDistribution(size_t m, size_t n) {
  std::vector<double> p(m * n + m + n + 2, 0.0);
  p[0] = 1.0;
  size_t degree = 0;
  for (size_t i = 1; i <= m; ++i) {
    // Multiply by (1 - q^(n+i)), then divide by (1 - q^i): stays a polynomial.
    const size_t a = n + i;
    const size_t top = degree + a;
    for (size_t k = top; k >= a; --k) {
      p[k] -= p[k - a];
      if (k == a) break;
    }
    for (size_t k = i; k <= top; ++k) p[k] += p[k - i];
    degree += n;
  }
  p.resize(m * n + 1);
  return p;
}

double tieTerm(std::span<const double> all) {
  std::vector<double> s(all.begin(), all.end());
  std::sort(s.begin(), s.end());
  double t = 0;
  for (size_t i = 0; i < s.size();) {
    size_t j = i;
    while (j + 1 < s.size() && s[j + 1] == s[i]) ++j;
    const double c = static_cast<double>(j - i + 1);
    t += c * c * c - c;
    i = j + 1;
  }
  return t;
}

}  // namespace

TestResult mannWhitneyU(std::span<const double> x, std::span<const double> y, Alternative alt) {
  TestResult res;
  const size_t n1 = x.size(), n2 = y.size();
  if (n1 == 0 || n2 == 0) return res;
  std::vector<double> all(x.begin(), x.end());
  all.insert(all.end(), y.begin(), y.end());
  const auto r = ranks(all);
  double r1 = 0;
  for (size_t i = 0; i < n1; ++i) r1 += r[i];
  const double u1 = r1 - static_cast<double>(n1 * (n1 + 1)) / 2.0;
  res.statistic = u1;
  const double ties = tieTerm(all);
  const double nn1 = static_cast<double>(n1), nn2 = static_cast<double>(n2), n = nn1 + nn2;

  if (ties == 0 && n1 * n2 <= 10000) {
    const auto dist = exactUDistribution(std::min(n1, n2), std::max(n1, n2));
    const double total = std::accumulate(dist.begin(), dist.end(), 0.0);
    // The distribution is symmetric, so it serves either sample's U.
    const auto u = static_cast<size_t>(std::llround(u1));
    double upper = 0, lower = 0;  // P(U >= u), P(U <= u)
    for (size_t k = u; k < dist.size(); ++k) upper += dist[k];
    for (size_t k = 0; k <= u && k < dist.size(); ++k) lower += dist[k];
    upper /= total;
    lower /= total;
    res.exact = true;
    switch (alt) {
      case Alternative::Greater: res.pValue = upper; break;
      case Alternative::Less: res.pValue = lower; break;
      case Alternative::TwoSided: res.pValue = std::min(1.0, 2.0 * std::min(upper, lower)); break;
    }
    return res;
  }
  const double mu = nn1 * nn2 / 2.0;
  const double sigma = std::sqrt(nn1 * nn2 / 12.0 * ((n + 1) - ties / (n * (n - 1))));
  if (sigma == 0) {
    res.pValue = 1.0;
    return res;
  }
  auto upperP = [&](double u) { return 1.0 - normalCdf((u - mu - 0.5) / sigma); };
  auto lowerP = [&](double u) { return normalCdf((u - mu + 0.5) / sigma); };
  switch (alt) {
    case Alternative::Greater: res.pValue = upperP(u1); break;
    case Alternative::Less: res.pValue = lowerP(u1); break;
    case Alternative::TwoSided: {
      const double z = (std::fabs(u1 - mu) - 0.5) / sigma;
      res.pValue = std::min(1.0, 2.0 * (1.0 - normalCdf(std::max(0.0, z))));
      break;
    }
  }
  return res;
}

PairwiseShifts::PairwiseShifts(std::span<const double> x, std::span<const double> y)
    : n1_(x.size()), n2_(y.size()) {
  sorted_.reserve(x.size() * y.size());
  for (double a : x)
    for (double b : y) sorted_.push_back(a - b);
  std::sort(sorted_.begin(), sorted_.end());
  std::vector<double> all(x.begin(), x.end());
  all.insert(all.end(), y.begin(), y.end());
  exact_ = n1_ < 50 && n2_ < 50 && tieTerm(all) == 0;
}

double PairwiseShifts::estimate() const {
  if (sorted_.empty()) return 0.0;
  const size_t mid = sorted_.size() / 2;
  return sorted_.size() % 2 ? sorted_[mid] : (sorted_[mid - 1] + sorted_[mid]) / 2.0;
}

Interval PairwiseShifts::interval(double confidence) const {
  if (sorted_.empty()) return {};
  const double tail = (1.0 - confidence) / 2.0;
  size_t lo = 0;  // the interval is [sorted[lo], sorted[size - 1 - lo]]
  if (exact_) {
    // The smallest u with P(U <= u) >= tail (R's qwilcox), at least 1: the
    // interval's ends are the u-th smallest and largest differences.
    const auto dist = exactUDistribution(std::min(n1_, n2_), std::max(n1_, n2_));
    const double total = std::accumulate(dist.begin(), dist.end(), 0.0);
    double cumulative = 0;
    size_t u = 0;
    for (; u < dist.size(); ++u) {
      cumulative += dist[u];
      // A relative tolerance: the sum of counts is exact up to rounding.
      if (cumulative / total >= tail * (1 - 1e-12)) break;
    }
    lo = std::max<size_t>(u, 1) - 1;
  } else {
    const double n1 = static_cast<double>(n1_), n2 = static_cast<double>(n2_);
    const double k = std::floor(n1 * n2 / 2.0 - zForConfidence(confidence) * std::sqrt(n1 * n2 * (n1 + n2 + 1) / 12.0));
    lo = static_cast<size_t>(std::max(0.0, k));
  }
  const size_t hi = sorted_.size() - 1 - std::min(lo, sorted_.size() - 1);
  return {sorted_[std::min(lo, hi)], sorted_[std::max(lo, hi)]};
}

ShiftEstimate hodgesLehmann(std::span<const double> x, std::span<const double> y, double confidence) {
  const PairwiseShifts shifts(x, y);
  return {shifts.estimate(), shifts.interval(confidence)};
}

TrendTest mannKendall(std::span<const double> y) {
  TrendTest t;
  const size_t n = y.size();
  if (n < 3) return t;
  double s = 0;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) s += (y[j] > y[i]) - (y[j] < y[i]);
  const double nn = static_cast<double>(n);
  // tieTerm gives sum(t^3 - t); the variance needs sum t(t-1)(2t+5).
  std::vector<double> sorted(y.begin(), y.end());
  std::sort(sorted.begin(), sorted.end());
  double tieVar = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j + 1 < n && sorted[j + 1] == sorted[i]) ++j;
    const double c = static_cast<double>(j - i + 1);
    tieVar += c * (c - 1) * (2 * c + 5);
    i = j + 1;
  }
  const double var = (nn * (nn - 1) * (2 * nn + 5) - tieVar) / 18.0;
  t.s = s;
  t.tau = s / (nn * (nn - 1) / 2.0);
  if (var <= 0) return t;
  t.z = s > 0 ? (s - 1) / std::sqrt(var) : s < 0 ? (s + 1) / std::sqrt(var) : 0.0;
  t.pValue = std::min(1.0, 2.0 * (1.0 - normalCdf(std::fabs(t.z))));
  return t;
}

namespace {
// Pettitt's K over ranks already computed: the largest |2·(sum of the first
// t ranks) − t·(n + 1)| over the splits that leave minSegment on each side,
// and where (k < 0 when no split is allowed).
PettittResult pettittK(std::span<const double> r, size_t minSegment) {
  PettittResult res;
  const size_t n = r.size();
  const double nn = static_cast<double>(n);
  double cum = 0;
  for (size_t t = 0; t + 1 < n; ++t) {
    cum += r[t];
    if (t + 1 < minSegment || n - (t + 1) < minSegment) continue;
    const double u = std::fabs(2.0 * cum - static_cast<double>(t + 1) * (nn + 1));
    if (u > res.k) res.k = u, res.index = t;
  }
  return res;
}
}  // namespace

PettittResult pettitt(std::span<const double> y, size_t minSegment) {
  const size_t n = y.size();
  if (n < 2) return {};
  PettittResult res = pettittK(ranks(y), minSegment);
  const double nn = static_cast<double>(n);
  if (res.k >= 0) res.pValue = std::min(1.0, 2.0 * std::exp(-6.0 * res.k * res.k / (nn * nn * nn + nn * nn)));
  return res;
}

double pettittPermutationP(std::span<const double> y, size_t minSegment, size_t permutations, std::uint64_t seed) {
  auto r = ranks(y);
  const double observed = pettittK(r, minSegment).k;
  if (observed < 0 || permutations == 0) return 1.0;
  std::mt19937_64 random(seed);
  size_t atLeast = 0;
  for (size_t i = 0; i < permutations; ++i) {
    std::shuffle(r.begin(), r.end(), random);
    // Ranks are multiples of 0.5: K is exact in doubles, no tolerance needed.
    if (pettittK(r, minSegment).k >= observed) ++atLeast;
  }
  return static_cast<double>(1 + atLeast) / static_cast<double>(1 + permutations);
}

std::vector<double> benjaminiHochbergAdjusted(std::span<const double> p) {
  const size_t m = p.size();
  std::vector<size_t> idx(m);
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return p[a] < p[b]; });
  std::vector<double> adj(m);
  double running = 1.0;
  for (size_t k = m; k-- > 0;) {
    running = std::min(running, p[idx[k]] * static_cast<double>(m) / static_cast<double>(k + 1));
    adj[idx[k]] = running;
  }
  return adj;
}

std::vector<bool> benjaminiHochberg(std::span<const double> p, double q) {
  const auto adj = benjaminiHochbergAdjusted(p);
  std::vector<bool> out(p.size());
  for (size_t i = 0; i < p.size(); ++i) out[i] = adj[i] <= q;
  return out;
}

}  // namespace giflab::stats
