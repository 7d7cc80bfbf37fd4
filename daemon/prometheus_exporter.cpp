// giflab-perfd-prometheus.so: the MetricsExporter on prometheus-cpp's pull
// exposer (civetweb). Loaded by the daemon only when the config has
// "prometheus". Updated on the bus thread; served from the exposer's thread
// (prometheus-cpp's families and metrics lock for themselves).
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <type_traits>
#include <variant>

#include "common/base/version.hpp"
#include "daemon/metrics_exporter.hpp"

namespace giflab::daemon {
namespace {

using namespace prometheus;

class PrometheusExporter final : public MetricsExporter {
 public:
  explicit PrometheusExporter(const std::string& listen)
      : registry_(std::make_shared<Registry>()), exposer_(std::make_unique<Exposer>(listen)) {
    exposer_->RegisterCollectable(registry_);
  }

  void declare(Kind kind, const std::string& name, const std::string& help, const std::vector<double>& buckets) override {
    if (families_.count(name)) return;
    switch (kind) {
      case Kind::Gauge: families_[name] = &BuildGauge().Name(name).Help(help).Register(*registry_); break;
      case Kind::Counter: families_[name] = &BuildCounter().Name(name).Help(help).Register(*registry_); break;
      case Kind::Histogram:
        families_[name] = &BuildHistogram().Name(name).Help(help).Register(*registry_);
        buckets_[name] = buckets;
        break;
    }
  }

  void add(const std::string& name, const MetricLabels& labels) override {
    std::visit([&](auto* f) { addTo(f, name, labels); }, familyOf(name));
  }
  void set(const std::string& name, const MetricLabels& labels, double value) override {
    if (auto* g = addTo(family<Gauge>(name), name, labels)) g->Set(value);
  }
  void increment(const std::string& name, const MetricLabels& labels) override {
    if (auto* c = addTo(family<Counter>(name), name, labels)) c->Increment();
  }
  void observe(const std::string& name, const MetricLabels& labels, double value) override {
    if (auto* h = addTo(family<Histogram>(name), name, labels)) h->Observe(value);
  }
  void remove(const std::string& name, const MetricLabels& labels) override {
    std::visit([&](auto* f) {
      if (auto* series = addTo(f, name, labels)) f->Remove(series);
    }, familyOf(name));
  }

 private:
  using AnyFamily = std::variant<Family<Gauge>*, Family<Counter>*, Family<Histogram>*>;

  AnyFamily familyOf(const std::string& name) {
    auto it = families_.find(name);
    return it == families_.end() ? AnyFamily(static_cast<Family<Gauge>*>(nullptr)) : it->second;
  }
  template <typename T>
  Family<T>* family(const std::string& name) {
    auto it = families_.find(name);
    if (it == families_.end()) return nullptr;
    auto* const* f = std::get_if<Family<T>*>(&it->second);
    return f ? *f : nullptr;
  }
  // The series for these labels (Family::Add returns an existing one).
  template <typename T>
  T* addTo(Family<T>* f, const std::string& name, const MetricLabels& labels) {
    if (!f) return nullptr;
    if constexpr (std::is_same_v<T, Histogram>) return &f->Add(labels, Histogram::BucketBoundaries(buckets_[name]));
    else return &f->Add(labels);
  }

  std::shared_ptr<Registry> registry_;
  std::unique_ptr<Exposer> exposer_;
  std::map<std::string, AnyFamily> families_;
  std::map<std::string, std::vector<double>> buckets_;
};

}  // namespace
}  // namespace giflab::daemon

extern "C" __attribute__((visibility("default"))) const char* const giflab_perfd_metrics_exporter_version =
    giflab::kVersion;

extern "C" __attribute__((visibility("default"))) giflab::daemon::MetricsExporter*
giflab_perfd_create_metrics_exporter(const std::string& listen, std::string* error) {
  try {
    return new giflab::daemon::PrometheusExporter(listen);
  } catch (const std::exception& e) {
    if (error) *error = e.what();
  } catch (...) {
    if (error) *error = "unknown error";
  }
  return nullptr;
}

// The factory's type is the daemon's: a mismatch fails here, not at dlsym.
static_assert(std::is_same_v<decltype(&giflab_perfd_create_metrics_exporter), giflab::daemon::CreateMetricsExporter>);
