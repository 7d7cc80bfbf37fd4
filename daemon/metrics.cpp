#include "daemon/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "common/base/error.hpp"

namespace giflab::daemon {
using nlohmann::json;
using namespace prometheus;

namespace {
constexpr double kBytesPerMb = 1024.0 * 1024.0;
}

Metrics::Metrics(const std::string& listen) : listen_(listen), registry_(std::make_shared<Registry>()) {
  try {
    exposer_ = std::make_unique<Exposer>(listen);
  } catch (const std::exception& e) {
    throw Error(ErrorKind::Config, "prometheus.listen: cannot serve metrics on " + listen + " (" + e.what() +
                                       "); choose a free local address such as 127.0.0.1:9477");
  }
  auto& r = *registry_;
  lastTime_ = &BuildGauge().Name("giflab_scenario_processing_seconds")
                   .Help("Median processing time of the scenario's last monitoring run, in seconds").Register(r);
  lastMemory_ = &BuildGauge().Name("giflab_scenario_peak_memory_bytes")
                     .Help("Median peak resident memory of the scenario's last monitoring run, in bytes").Register(r);
  baselineTime_ = &BuildGauge().Name("giflab_baseline_processing_seconds")
                       .Help("Mean processing time of the scenario's baseline, in seconds").Register(r);
  baselineMemory_ = &BuildGauge().Name("giflab_baseline_peak_memory_bytes")
                         .Help("Mean peak resident memory of the scenario's baseline, in bytes").Register(r);
  regression_ = &BuildGauge().Name("giflab_regression_ratio")
                     .Help("Fraction worse than the baseline in the last cycle (0.27 = 27 % slower or larger)").Register(r);
  open_ = &BuildGauge().Name("giflab_regression_open")
               .Help("1 for each open regression, labelled by scenario, metric and severity").Register(r);
  openBySeverity_ = &BuildGauge().Name("giflab_open_regressions")
                         .Help("Number of open regressions by severity").Register(r);
  cycles_ = &BuildCounter().Name("giflab_monitor_cycles_total").Help("Monitoring cycles run").Register(r);
  cycleDuration_ = &BuildHistogram().Name("giflab_monitor_cycle_duration_seconds")
                        .Help("Duration of monitoring cycles, in seconds").Register(r);
  lastCycle_ = &BuildGauge().Name("giflab_monitor_last_cycle_timestamp_seconds")
                    .Help("Unix time when the last monitoring cycle ended").Register(r);
  interval_ = &BuildGauge().Name("giflab_monitor_interval_seconds").Help("Seconds between monitoring cycles").Register(r);
  budgetSeconds_ = &BuildGauge().Name("giflab_budget_seconds")
                       .Help("The scenario's processing-time budget (an absolute limit), in seconds").Register(r);
  budgetBytes_ = &BuildGauge().Name("giflab_budget_bytes")
                     .Help("The scenario's peak-memory budget (an absolute limit), in bytes").Register(r);
  budgetExceeded_ = &BuildGauge().Name("giflab_budget_exceeded")
                        .Help("1 while the scenario's runs show its median above the budget, else 0").Register(r);
  machineFactor_ = &BuildGauge().Name("giflab_machine_speed_factor")
                        .Help("How much slower this machine runs than when the baselines were taken, by the control "
                              "(1.18 = 18 % slower, 1 = the same)").Register(r);
  jobs_ = &BuildCounter().Name("giflab_jobs_total").Help("Jobs ended, by kind and outcome").Register(r);
  failures_ = &BuildCounter().Name("giflab_scenario_failures_total")
                   .Help("Scenario runs that failed (non-zero exit, signal, timeout, missing program or data)").Register(r);
  for (const auto& [severity, name] : kSeverityNames.table) openBySeverity_->Add({{"severity", std::string(name)}}).Set(0);
  cycles_->Add({});
  exposer_->RegisterCollectable(registry_);
}

Metrics::~Metrics() = default;

void Metrics::setInterval(double seconds) { interval_->Add({}).Set(seconds); }

void Metrics::setMachineFactor(double factor) { machineFactor_->Add({}).Set(factor); }

void Metrics::recordCycle(const CheckReport& check, double seconds) {
  cycles_->Add({}).Increment();
  cycleDuration_->Add({}, Histogram::BucketBoundaries{0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600}).Observe(seconds);
  lastCycle_->Add({}).Set(static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(
                                                  std::chrono::system_clock::now().time_since_epoch())
                                                  .count()));
  for (const auto& s : check.scenarios) {
    if (s.error) {
      failures_->Add({{"scenario", s.scenario}}).Increment();
      continue;
    }
    lastTime_->Add({{"scenario", s.scenario}}).Set(s.processingTime);
    lastMemory_->Add({{"scenario", s.scenario}}).Set(s.memoryUsage * kBytesPerMb);
    for (const auto* m : s.metrics()) regression_->Add({{"scenario", s.scenario}, {"metric", m->metric}}).Set(m->regression);
  }
}

void Metrics::recordJob(const std::string& kind, const std::string& outcome) {
  jobs_->Add({{"kind", kind}, {"outcome", outcome}}).Increment();
}

void Metrics::setBaselines(const json& list) {
  for (const auto& b : list.value("baselines", json::array())) {
    const std::string name = b.value("scenario_name", "");
    baselineTime_->Add({{"scenario", name}}).Set(b.value("mean_processing_time", 0.0));
    baselineMemory_->Add({{"scenario", name}}).Set(b.value("mean_memory_usage", 0.0) * kBytesPerMb);
  }
}

void Metrics::setBudgets(const std::vector<Scenario>& scenarios) {
  for (Gauge* g : budgetGauges_) {
    budgetSeconds_->Remove(g);
    budgetBytes_->Remove(g);
  }
  budgetGauges_.clear();
  for (const auto& [key, g] : exceededGauges_) budgetExceeded_->Remove(g);
  exceededGauges_.clear();
  for (const auto& s : scenarios) {
    if (s.budget.processingTime) {
      Gauge& g = budgetSeconds_->Add({{"scenario", s.name}});
      g.Set(*s.budget.processingTime);
      budgetGauges_.push_back(&g);
      exceededGauges_[s.name + "/" + kProcessingTime] =
          &budgetExceeded_->Add({{"scenario", s.name}, {"metric", kProcessingTime}});
    }
    if (s.budget.memoryUsage) {
      Gauge& g = budgetBytes_->Add({{"scenario", s.name}});
      g.Set(*s.budget.memoryUsage * kBytesPerMb);
      budgetGauges_.push_back(&g);
      exceededGauges_[s.name + "/" + kMemoryUsage] = &budgetExceeded_->Add({{"scenario", s.name}, {"metric", kMemoryUsage}});
    }
  }
}

void Metrics::setExceededBudgets(const std::vector<BudgetAlert>& exceeded) {
  for (const auto& [key, g] : exceededGauges_) g->Set(0);
  for (const auto& b : exceeded)
    if (auto it = exceededGauges_.find(b.scenario + "/" + b.metric); it != exceededGauges_.end()) it->second->Set(1);
}

void Metrics::setOpenRegressions(const std::vector<AlertEntry>& open) {
  std::map<Severity, int> bySeverity;
  for (const auto& [severity, name] : kSeverityNames.table) bySeverity[severity] = 0;
  std::map<std::string, Gauge*> still;
  for (const auto& a : open) {
    ++bySeverity[a.severity];
    const std::string severity(kSeverityNames.name(a.severity));
    const std::string key = a.scenario + "/" + a.metric + "/" + severity;
    auto it = openGauges_.find(key);
    Gauge* g = it != openGauges_.end() ? it->second
                                       : &open_->Add({{"scenario", a.scenario}, {"metric", a.metric}, {"severity", severity}});
    g->Set(1);
    still[key] = g;
  }
  for (const auto& [key, g] : openGauges_)
    if (!still.count(key)) open_->Remove(g);  // resolved: the series ends
  openGauges_ = std::move(still);
  for (const auto& [severity, n] : bySeverity)
    openBySeverity_->Add({{"severity", std::string(kSeverityNames.name(severity))}}).Set(n);
}

}  // namespace giflab::daemon
