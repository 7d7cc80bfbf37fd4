#include "common/detect/series.hpp"

#include <algorithm>

#include "common/detect/stats.hpp"

namespace giflab {

void SeriesAccumulator::add(double epochSeconds, double processingTime, double memoryUsage,
                            const std::string& version) {
  if (pendingPt_.empty()) pendingT_ = epochSeconds, pendingFirst_ = records_;
  if (!version.empty()) {
    if (pendingVersions_.first.empty()) pendingVersions_.first = version;
    pendingVersions_.last = version;
  }
  pendingPt_.push_back(processingTime);
  pendingMem_.push_back(memoryUsage);
  ++records_;
  if (pendingPt_.size() == width_) finish();
}

void SeriesAccumulator::finish() {
  if (pendingPt_.empty()) return;
  push(pendingT_, stats::median(pendingPt_), stats::median(pendingMem_), pendingFirst_, std::move(pendingVersions_));
  pendingPt_.clear();
  pendingMem_.clear();
  pendingVersions_ = {};
}

std::string SeriesAccumulator::versionBefore(size_t index) const {
  for (size_t i = std::min(index, versions_.size()); i-- > 0;)
    if (!versions_[i].last.empty()) return versions_[i].last;
  return "";
}

std::string SeriesAccumulator::versionAfter(size_t index) const {
  for (size_t i = index; i < versions_.size(); ++i)
    if (!versions_[i].first.empty()) return versions_[i].first;
  return "";
}

void SeriesAccumulator::push(double t, double pt, double mem, size_t first, Versions versions) {
  // Most histories name no version: the list of them (64 bytes a point, as
  // much as the rest together) starts with the first one named.
  if (!versions_.empty() || !versions.first.empty()) {
    versions_.resize(t_.size());
    versions_.push_back(std::move(versions));
  }
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
  if (!versions_.empty()) {
    versions_.resize(2 * n);
    for (size_t i = 0; i < n; ++i) {
      Versions merged{versions_[2 * i].first.empty() ? versions_[2 * i + 1].first : versions_[2 * i].first,
                      versions_[2 * i + 1].last.empty() ? versions_[2 * i].last : versions_[2 * i + 1].last};
      versions_[i] = std::move(merged);
    }
    versions_.resize(n);
  }
  t_.resize(n);
  pt_.resize(n);
  mem_.resize(n);
  first_.resize(n);
  width_ *= 2;
}

}  // namespace giflab
