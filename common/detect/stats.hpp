#pragma once
// Descriptive and inferential statistics used by baselines, detection, trends
// and change points. Pure functions over spans; no I/O.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace giflab::stats {

double mean(std::span<const double> x);
double sampleStd(std::span<const double> x);  // n-1 in the denominator; 0 for n < 2
double median(std::span<const double> x);
double percentile(std::span<const double> x, double p);  // p in [0,100], linear interpolation
double mad(std::span<const double> x);                   // median absolute deviation, unscaled
// Natural logs, with values below 1e-9 taken as 1e-9: times on the log
// scale, where a shift is a ratio.
std::vector<double> logs(std::span<const double> x);

double normalCdf(double z);
double normalQuantile(double p);  // inverse of normalCdf, p in (0,1)
double zForConfidence(double confidence);  // two-sided: 0.95 -> 1.96, 0.99 -> 2.576

struct Interval {
  double low = 0, high = 0;
};
Interval confidenceInterval(std::span<const double> x, double confidence);  // mean ± z·s/√n
// The distribution-free interval of the median: order statistics x(k) and
// x(n+1-k), k the largest with P(Binomial(n, 1/2) < k) <= (1 - confidence)/2;
// the whole range when n is too small for that (below 6 at 0.95).
Interval medianInterval(std::span<const double> x, double confidence);
Interval controlLimits(double mean, double std, double confidence);        // mean ± z·std

struct LinearFit {
  double slope = 0, intercept = 0, r2 = 0;
};
LinearFit leastSquares(std::span<const double> x, std::span<const double> y);
LinearFit theilSen(std::span<const double> x, std::span<const double> y);  // r2 left 0

enum class Alternative { TwoSided, Greater, Less };
struct TestResult {
  double statistic = 0;
  double pValue = 1;
  bool exact = false;
};
// U of the first sample; Greater: the first sample tends to be larger.
TestResult mannWhitneyU(std::span<const double> x, std::span<const double> y,
                        Alternative alt = Alternative::TwoSided);

// Every difference x_i - y_j, sorted once: the Hodges–Lehmann shift of x
// over y is their median, and a two-sided confidence interval at any level
// is a pair of them, chosen by the Mann–Whitney distribution: exact for
// samples under 50 without ties (as R's wilcox.test), normal otherwise.
class PairwiseShifts {
 public:
  PairwiseShifts(std::span<const double> x, std::span<const double> y);
  double estimate() const;
  Interval interval(double confidence) const;

 private:
  std::vector<double> sorted_;
  size_t n1_, n2_;
  bool exact_ = false;
};

struct ShiftEstimate {
  double shift = 0;
  Interval ci;
};
ShiftEstimate hodgesLehmann(std::span<const double> x, std::span<const double> y, double confidence);

// Mann–Kendall trend test (S with tie-corrected variance, two-sided p).
struct TrendTest {
  double s = 0, z = 0, pValue = 1, tau = 0;
};
TrendTest mannKendall(std::span<const double> y);

// Pettitt's rank test for one change in location: the change is after `index`
// (the new regime starts at index + 1); both parts hold at least minSegment
// points. k < 0 when no split is allowed.
struct PettittResult {
  size_t index = 0;
  double k = -1;
  double pValue = 1;
};
PettittResult pettitt(std::span<const double> y, size_t minSegment = 1);
// The same statistic's p-value by permutation: the share of seeded random
// orders of the same ranks whose K is at least the observed one, counted as
// (1 + hits) / (1 + permutations). The asymptotic pettitt().pValue is far
// too conservative for the dozen runs of a baseline (10 runs split 5 and 5
// without overlap, at least 3 on a side: 0.066 against an exact 0.0079).
double pettittPermutationP(std::span<const double> y, size_t minSegment, size_t permutations, std::uint64_t seed);

// Benjamini–Hochberg: which hypotheses are rejected at false-discovery rate q.
std::vector<bool> benjaminiHochberg(std::span<const double> pValues, double q);
std::vector<double> benjaminiHochbergAdjusted(std::span<const double> pValues);

std::vector<double> ranks(std::span<const double> x);  // average ranks for ties, 1-based

}  // namespace giflab::stats
