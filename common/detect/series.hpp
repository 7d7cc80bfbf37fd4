#pragma once
// A history series of bounded size for trends and change points: up to
// kCapacity points are kept as they are; past that, neighbouring points are
// merged into bins (the median of each bin, its width doubling as needed), so
// memory stays bounded however long the history is. Each point remembers the
// index and timestamp of the first record it stands for, and the first and
// last version named among its records.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace giflab {

class SeriesAccumulator {
 public:
  static constexpr size_t kCapacity = 2048;

  void add(double epochSeconds, double processingTime, double memoryUsage, const std::string& version = {});
  // Flushes a partly filled bin; call once after the last add().
  void finish();

  size_t records() const { return records_; }
  size_t binWidth() const { return width_; }
  const std::vector<double>& times() const { return t_; }
  const std::vector<double>& processingTimes() const { return pt_; }
  const std::vector<double>& memoryUsages() const { return mem_; }
  const std::vector<size_t>& firstIndex() const { return first_; }
  // Around a change at point `index`: the last version named before it and
  // the first named from it on; "" where no record names one.
  std::string versionBefore(size_t index) const;
  std::string versionAfter(size_t index) const;

 private:
  struct Versions {
    std::string first, last;
  };
  void push(double t, double pt, double mem, size_t first, Versions versions);
  void halve();

  std::vector<double> t_, pt_, mem_;
  std::vector<size_t> first_;
  std::vector<Versions> versions_;
  std::vector<double> pendingPt_, pendingMem_;
  Versions pendingVersions_;
  double pendingT_ = 0;
  size_t pendingFirst_ = 0;
  size_t width_ = 1;
  size_t records_ = 0;
};

}  // namespace giflab
