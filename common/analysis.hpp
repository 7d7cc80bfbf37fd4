#pragma once
// Analyses of a history series: trend and change points.
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace giflab {

struct TrendResult {
  size_t points = 0;
  bool enoughData = false;     // at least 3 points
  double slopePerDay = 0;      // least squares, the design's method
  double r2 = 0;
  double theilSenPerDay = 0;   // robust slope
  double relativePerDay = 0;   // Theil-Sen slope / median
  double mannKendallP = 1;
  std::string direction = "stable";  // improving / degrading / stable / not enough data
};

// times in seconds since the epoch. Higher values are worse for every metric.
TrendResult analyzeTrend(const std::vector<double>& times, const std::vector<double>& values,
                         double confidence = 0.95);

struct ChangePointOptions {
  size_t minSegment = 5;        // no segment shorter than this: single outliers cannot form one
  double alpha = 0.01;          // significance of Pettitt's test per split
  double minRelativeChange = 0.02;  // medians must differ by this fraction
};

struct ChangePoint {
  size_t index = 0;  // first point of the new segment
  double before = 0, after = 0;  // segment medians
  double pValue = 1;
  double relativeChange = 0;
  std::string direction;  // regression (higher) or improvement
};

// Binary segmentation with Pettitt's rank test: robust to outliers and to
// any noise distribution; returns change points in index order.
std::vector<ChangePoint> detectChangePoints(const std::vector<double>& values, const ChangePointOptions& options = {});

void to_json(nlohmann::json& j, const TrendResult& t);

}  // namespace giflab
