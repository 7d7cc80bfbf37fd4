#include "common/detect/series.hpp"

#include "common/detect/stats.hpp"

namespace giflab {

void SeriesAccumulator::add(double epochSeconds, double processingTime, double memoryUsage) {
  if (pendingPt_.empty()) pendingT_ = epochSeconds, pendingFirst_ = records_;
  pendingPt_.push_back(processingTime);
  pendingMem_.push_back(memoryUsage);
  ++records_;
  if (pendingPt_.size() == width_) finish();
}

void SeriesAccumulator::finish() {
  if (pendingPt_.empty()) return;
  push(pendingT_, stats::median(pendingPt_), stats::median(pendingMem_), pendingFirst_);
  pendingPt_.clear();
  pendingMem_.clear();
}

void SeriesAccumulator::push(double t, double pt, double mem, size_t first) {
  t_.push_back(t);
  pt_.push_back(pt);
  mem_.push_back(mem);
  first_.push_back(first);
  if (t_.size() == kCapacity) halve();
}

void SeriesAccumulator::halve() {
  // Neighbouring bins merge: the mean of two bin medians, close enough to
  // the median of their union for a trend or a step.
  const size_t n = t_.size() / 2;
  for (size_t i = 0; i < n; ++i) {
    t_[i] = t_[2 * i];
    first_[i] = first_[2 * i];
    pt_[i] = (pt_[2 * i] + pt_[2 * i + 1]) / 2;
    mem_[i] = (mem_[2 * i] + mem_[2 * i + 1]) / 2;
  }
  t_.resize(n);
  pt_.resize(n);
  mem_.resize(n);
  first_.resize(n);
  width_ *= 2;
}

}  // namespace giflab
