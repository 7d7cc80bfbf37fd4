#include "daemon/metrics.hpp"

#include <dlfcn.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string_view>
#include <nlohmann/json.hpp>

#include "common/base/error.hpp"
#include "common/base/version.hpp"

namespace giflab::daemon {
using nlohmann::json;
namespace fs = std::filesystem;

namespace {
constexpr double kBytesPerMb = 1024.0 * 1024.0;
using Kind = MetricsExporter::Kind;

// The plugin sits beside the daemon's binary (the build tree's bin/, or
// the installed libexec folder); no search path, so nothing else is loaded
// into a root daemon. Loaded once and never unloaded: its libraries keep
// threads and static state.
CreateMetricsExporter exporterFactory() {
  static CreateMetricsExporter factory = nullptr;
  if (factory) return factory;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  const fs::path plugin = (ec ? fs::path(GIFLAB_LIBEXECDIR) : self.parent_path()) / kMetricsExporterPlugin;
  void* handle = ::dlopen(plugin.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (!handle)
    throw Error(ErrorKind::Config, std::string("prometheus: cannot load the exporter plugin (") + ::dlerror() +
                                       "); reinstall giflab-perfd (in a build tree: build the giflab-perfd target), or remove \"prometheus\" "
                                       "from the config");
  const auto* version = static_cast<const char* const*>(::dlsym(handle, kMetricsExporterVersionSymbol));
  if (!version || std::string_view(*version) != kVersion)
    throw Error(ErrorKind::Config, "prometheus: " + plugin.string() + " is from " +
                                       (version ? "giflab-perfd " + std::string(*version) : std::string("another version")) +
                                       ", this daemon is " + kVersion + ": restart giflab-perfd (after an upgrade) or "
                                       "reinstall it");
  auto create = reinterpret_cast<CreateMetricsExporter>(::dlsym(handle, kCreateMetricsExporterSymbol));
  if (!create)
    throw Error(ErrorKind::Config, "prometheus: " + plugin.string() + " has no " + kCreateMetricsExporterSymbol +
                                       "; reinstall giflab-perfd");
  factory = create;
  return factory;
}

struct Family {
  Kind kind;
  const char* name;
  const char* help;
};
constexpr const char* kLastTime = "giflab_scenario_processing_seconds";
constexpr const char* kLastMemory = "giflab_scenario_peak_memory_bytes";
constexpr const char* kBaselineTime = "giflab_baseline_processing_seconds";
constexpr const char* kBaselineMemory = "giflab_baseline_peak_memory_bytes";
constexpr const char* kRegression = "giflab_regression_ratio";
constexpr const char* kOpen = "giflab_regression_open";
constexpr const char* kOpenBySeverity = "giflab_open_regressions";
constexpr const char* kCycles = "giflab_monitor_cycles_total";
constexpr const char* kCycleDuration = "giflab_monitor_cycle_duration_seconds";
constexpr const char* kLastCycle = "giflab_monitor_last_cycle_timestamp_seconds";
constexpr const char* kInterval = "giflab_monitor_interval_seconds";
constexpr const char* kBudgetSeconds = "giflab_budget_seconds";
constexpr const char* kBudgetBytes = "giflab_budget_bytes";
constexpr const char* kBudgetExceeded = "giflab_budget_exceeded";
constexpr const char* kMachineFactor = "giflab_machine_speed_factor";
constexpr const char* kJobs = "giflab_jobs_total";
constexpr const char* kFailures = "giflab_scenario_failures_total";

constexpr Family kFamilies[] = {
    {Kind::Gauge, kLastTime, "Median processing time of the scenario's last monitoring run, in seconds"},
    {Kind::Gauge, kLastMemory, "Median peak resident memory of the scenario's last monitoring run, in bytes"},
    {Kind::Gauge, kBaselineTime, "Mean processing time of the scenario's baseline, in seconds"},
    {Kind::Gauge, kBaselineMemory, "Mean peak resident memory of the scenario's baseline, in bytes"},
    {Kind::Gauge, kRegression, "Fraction worse than the baseline in the last cycle (0.27 = 27 % slower or larger)"},
    {Kind::Gauge, kOpen, "1 for each open regression, labelled by scenario, metric and severity"},
    {Kind::Gauge, kOpenBySeverity, "Number of open regressions by severity"},
    {Kind::Counter, kCycles, "Monitoring cycles run"},
    {Kind::Histogram, kCycleDuration, "Duration of monitoring cycles, in seconds"},
    {Kind::Gauge, kLastCycle, "Unix time when the last monitoring cycle ended"},
    {Kind::Gauge, kInterval, "Seconds between monitoring cycles"},
    {Kind::Gauge, kBudgetSeconds, "The scenario's processing-time budget (an absolute limit), in seconds"},
    {Kind::Gauge, kBudgetBytes, "The scenario's peak-memory budget (an absolute limit), in bytes"},
    {Kind::Gauge, kBudgetExceeded, "1 while the scenario's runs show its median above the budget, else 0"},
    {Kind::Gauge, kMachineFactor,
     "How much slower this machine runs than when the baselines were taken, by the control "
     "(1.18 = 18 % slower, 1 = the same)"},
    {Kind::Counter, kJobs, "Jobs ended, by kind and outcome"},
    {Kind::Counter, kFailures,
     "Scenario runs that failed (non-zero exit, signal, timeout, missing program or data)"},
};
const std::vector<double> kCycleBuckets{0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600};
}  // namespace

Metrics::Metrics(const std::string& listen) : listen_(listen) {
  std::string why;
  exporter_.reset(exporterFactory()(listen, &why));
  if (!exporter_)
    throw Error(ErrorKind::Config, "prometheus.listen: cannot serve metrics on " + listen + " (" + why +
                                       "); choose a free local address such as 127.0.0.1:9477");
  for (const auto& f : kFamilies)
    exporter_->declare(f.kind, f.name, f.help, f.kind == Kind::Histogram ? kCycleBuckets : std::vector<double>{});
  for (const auto& [severity, name] : kSeverityNames.table) exporter_->set(kOpenBySeverity, {{"severity", std::string(name)}}, 0);
  exporter_->add(kCycles, {});  // 0 until the first cycle
}

Metrics::~Metrics() = default;

void Metrics::setInterval(double seconds) { exporter_->set(kInterval, {}, seconds); }

void Metrics::setMachineFactor(double factor) { exporter_->set(kMachineFactor, {}, factor); }

void Metrics::recordCycle(const CheckReport& check, double seconds) {
  exporter_->increment(kCycles, {});
  exporter_->observe(kCycleDuration, {}, seconds);
  exporter_->set(kLastCycle, {},
                 static_cast<double>(
                     std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                         .count()));
  for (const auto& s : check.scenarios) {
    if (s.error) {
      exporter_->increment(kFailures, {{"scenario", s.scenario}});
      continue;
    }
    exporter_->set(kLastTime, {{"scenario", s.scenario}}, s.processingTime);
    exporter_->set(kLastMemory, {{"scenario", s.scenario}}, s.memoryUsage * kBytesPerMb);
    for (const auto* m : s.metrics()) exporter_->set(kRegression, {{"scenario", s.scenario}, {"metric", m->metric}}, m->regression);
  }
}

void Metrics::recordJob(const std::string& kind, const std::string& outcome) {
  exporter_->increment(kJobs, {{"kind", kind}, {"outcome", outcome}});
}

void Metrics::setBaselines(const json& list) {
  for (const auto& b : list.value("baselines", json::array())) {
    const std::string name = b.value("scenario_name", "");
    exporter_->set(kBaselineTime, {{"scenario", name}}, b.value("mean_processing_time", 0.0));
    exporter_->set(kBaselineMemory, {{"scenario", name}}, b.value("mean_memory_usage", 0.0) * kBytesPerMb);
  }
}

void Metrics::setBudgets(const std::vector<Scenario>& scenarios) {
  for (const auto& [family, labels] : budgetSeries_) exporter_->remove(family, labels);
  budgetSeries_.clear();
  budgeted_.clear();
  auto budget = [&](const std::string& scenario, const char* family, const char* metric, double value) {
    MetricLabels labels{{"scenario", scenario}};
    exporter_->set(family, labels, value);
    budgetSeries_.emplace_back(family, labels);
    const MetricLabels exceeded{{"scenario", scenario}, {"metric", metric}};
    exporter_->set(kBudgetExceeded, exceeded, 0);
    budgetSeries_.emplace_back(kBudgetExceeded, exceeded);
    budgeted_.emplace(scenario, metric);
  };
  for (const auto& s : scenarios) {
    if (s.budget.processingTime) budget(s.name, kBudgetSeconds, kProcessingTime, *s.budget.processingTime);
    if (s.budget.memoryUsage) budget(s.name, kBudgetBytes, kMemoryUsage, *s.budget.memoryUsage * kBytesPerMb);
  }
}

void Metrics::setExceededBudgets(const std::vector<BudgetAlert>& exceeded) {
  std::set<std::pair<std::string, std::string>> now;
  for (const auto& b : exceeded) now.emplace(b.scenario, b.metric);
  for (const auto& [scenario, metric] : budgeted_)
    exporter_->set(kBudgetExceeded, {{"scenario", scenario}, {"metric", metric}}, now.count({scenario, metric}) ? 1 : 0);
}

void Metrics::setOpenRegressions(const std::vector<AlertEntry>& open) {
  std::map<Severity, int> bySeverity;
  for (const auto& [severity, name] : kSeverityNames.table) bySeverity[severity] = 0;
  std::set<MetricLabels> still;
  for (const auto& a : open) {
    ++bySeverity[a.severity];
    MetricLabels labels{{"scenario", a.scenario}, {"metric", a.metric}, {"severity", std::string(kSeverityNames.name(a.severity))}};
    exporter_->set(kOpen, labels, 1);
    still.insert(std::move(labels));
  }
  for (const auto& labels : openSeries_)
    if (!still.count(labels)) exporter_->remove(kOpen, labels);  // resolved: the series ends
  openSeries_ = std::move(still);
  for (const auto& [severity, n] : bySeverity)
    exporter_->set(kOpenBySeverity, {{"severity", std::string(kSeverityNames.name(severity))}}, n);
}

}  // namespace giflab::daemon
