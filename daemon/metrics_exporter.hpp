#pragma once
// The boundary between the daemon and its Prometheus exporter plugin
// (giflab-perfd-prometheus.so, beside the daemon's binary). The exposer, its
// web server and their libraries are loaded only when the config has
// "prometheus": a daemon without it does not carry them (bench/RESULTS.md,
// idle footprint). The plugin knows metric families and label sets, nothing of
// giflab; daemon/metrics.cpp decides what is exported.
//
// Both sides are built from this tree with the same compiler and libstdc++,
// so the interface is plain C++; only the factory has C linkage (dlsym).
#include <map>
#include <string>
#include <vector>

namespace giflab::daemon {

using MetricLabels = std::map<std::string, std::string>;

class MetricsExporter {
 public:
  enum class Kind { Gauge, Counter, Histogram };
  virtual ~MetricsExporter() = default;
  // Declares a family; buckets only for histograms.
  virtual void declare(Kind kind, const std::string& name, const std::string& help,
                       const std::vector<double>& buckets = {}) = 0;
  // Every call names a declared family; an unknown name (or a family of
  // another kind) is ignored.
  // Makes the series exist at zero.
  virtual void add(const std::string& name, const MetricLabels& labels) = 0;
  virtual void set(const std::string& name, const MetricLabels& labels, double value) = 0;
  virtual void increment(const std::string& name, const MetricLabels& labels) = 0;
  virtual void observe(const std::string& name, const MetricLabels& labels, double value) = 0;
  // Ends the series (it disappears from the scrape).
  virtual void remove(const std::string& name, const MetricLabels& labels) = 0;
};

// The plugin's factory: serves on `listen` ("host:port"), or returns nullptr
// with why in *error. Never throws.
using CreateMetricsExporter = MetricsExporter* (*)(const std::string& listen, std::string* error);
// The plugin's version (a const char*, giflab::kVersion): the daemon loads
// only its own, since the interface is a plain vtable and a daemon still
// running after an upgrade would find the new plugin beside it.
inline constexpr const char* kMetricsExporterVersionSymbol = "giflab_perfd_metrics_exporter_version";
inline constexpr const char* kCreateMetricsExporterSymbol = "giflab_perfd_create_metrics_exporter";
inline constexpr const char* kMetricsExporterPlugin = "giflab-perfd-prometheus.so";

}  // namespace giflab::daemon
