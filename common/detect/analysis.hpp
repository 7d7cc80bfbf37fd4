#pragma once
// Analyses of a history series: trend and change points.
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "common/base/enum_names.hpp"

namespace giflab {

enum class TrendDirection { Stable, Degrading, Improving, NotEnoughData };
inline constexpr EnumNames<TrendDirection, 4> kTrendDirectionNames{{{{TrendDirection::Stable, "stable"},
                                                                     {TrendDirection::Degrading, "degrading"},
                                                                     {TrendDirection::Improving, "improving"},
                                                                     {TrendDirection::NotEnoughData, "not enough data"}}}};
// A change point's: higher values are worse for every metric.
enum class ChangeDirection { Regression, Improvement };
inline constexpr EnumNames<ChangeDirection, 2> kChangeDirectionNames{
    {{{ChangeDirection::Regression, "regression"}, {ChangeDirection::Improvement, "improvement"}}}};

struct TrendResult {
  size_t points = 0;
  bool enoughData = false;     // at least 3 points
  double slopePerDay = 0;      // least squares, the design's method
  double r2 = 0;
  double theilSenPerDay = 0;   // robust slope
  double relativePerDay = 0;   // Theil-Sen slope / median
  double mannKendallP = 1;
  TrendDirection direction = TrendDirection::Stable;
};

// times in seconds since the epoch. Higher values are worse for every metric.
TrendResult analyzeTrend(const std::vector<double>& times, const std::vector<double>& values,
                         double confidence = 0.95);

struct ChangePointOptions {
  // The scan-adjusted probability that noise alone yields a change point
  // anywhere in the series (--sensitivity): smaller finds fewer.
  double alpha = 0.001;
  double minRelativeChange = 0.02;  // --min-change: the levels must differ by this fraction
};

struct ChangePoint {
  size_t index = 0;  // first point of the new segment
  double before = 0, after = 0;  // medians of the neighbouring segments (at most 250 points a side)
  double pValue = 1;             // scan-adjusted
  double relativeChange = 0;     // (after - before) / |before|
  double shift = 0, shiftLow = 0, shiftHigh = 0;  // Hodges-Lehmann shift and its 95 % interval, in units
  ChangeDirection direction = ChangeDirection::Regression;
};

// Throws InvalidArgument unless min-change is in [0, 10] and the
// sensitivity in (0, 0.5].
void requireChangePointOptions(const ChangePointOptions& options);

// Robust multiscale moving-sum scan (change_points.cpp): outliers, runs of
// correlated noise, quiet series, long series, trends with steps on them;
// change points in index order. O(n log n).
std::vector<ChangePoint> detectChangePoints(const std::vector<double>& values, const ChangePointOptions& options = {});

void to_json(nlohmann::json& j, const TrendResult& t);

}  // namespace giflab
