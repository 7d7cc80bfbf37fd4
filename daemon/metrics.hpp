#pragma once
// The Prometheus endpoint (config "prometheus": {"listen": "host:port"}):
// metrics in base units, served by the exporter plugin (metrics_exporter.hpp),
// which is loaded the first time an endpoint is configured. Updated on the bus
// thread from cycle and job results; served from the exporter's thread.
#include <map>
#include <memory>
#include <set>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "daemon/metrics_exporter.hpp"

#include "common/store/alert_state.hpp"
#include "common/cycle/check_report.hpp"
#include "common/store/config.hpp"

namespace giflab::daemon {

class Metrics {
 public:
  // Throws Error(Config) when the address cannot be served or the plugin
  // cannot be loaded.
  explicit Metrics(const std::string& listen);
  ~Metrics();
  const std::string& listen() const { return listen_; }

  void setInterval(double seconds);
  // A cycle's check document (the monitor's runCheck result) and how long it took.
  void recordCycle(const CheckReport& check, double seconds);
  void recordJob(const std::string& kind, const std::string& outcome);
  void setBaselines(const nlohmann::json& list);  // ListBaselines document
  void setOpenRegressions(const std::vector<AlertEntry>& open);
  void setMachineFactor(double factor);  // the announced machine speed factor
  // The configured budgets (giflab_budget_seconds / _bytes), and which are
  // exceeded now (giflab_budget_exceeded, 0 or 1 for every budget).
  void setBudgets(const std::vector<Scenario>& scenarios);
  void setExceededBudgets(const std::vector<BudgetAlert>& exceeded);

 private:
  std::string listen_;
  std::unique_ptr<MetricsExporter> exporter_;
  std::set<MetricLabels> openSeries_;  // scenario, metric, severity of the series exported as open
  // The budget series of the current config (family, labels), removed on a reload.
  std::vector<std::pair<std::string, MetricLabels>> budgetSeries_;
  std::set<std::pair<std::string, std::string>> budgeted_;  // scenario, metric
};

}  // namespace giflab::daemon
