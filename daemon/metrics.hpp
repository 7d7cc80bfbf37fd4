#pragma once
// The Prometheus endpoint (config "prometheus": {"listen": "host:port"}):
// metrics in base units, served by prometheus-cpp's pull exposer. Updated on
// the bus thread from cycle and job results; served from the exposer's thread.
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "common/store/alert_state.hpp"
#include "common/cycle/check_report.hpp"
#include "common/store/config.hpp"

namespace prometheus {
class Exposer;
class Registry;
class Gauge;
class Counter;
class Histogram;
template <typename T>
class Family;
}  // namespace prometheus

namespace giflab::daemon {

class Metrics {
 public:
  // Throws Error(Config) when the address cannot be served.
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
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  prometheus::Family<prometheus::Gauge>* lastTime_;
  prometheus::Family<prometheus::Gauge>* lastMemory_;
  prometheus::Family<prometheus::Gauge>* baselineTime_;
  prometheus::Family<prometheus::Gauge>* baselineMemory_;
  prometheus::Family<prometheus::Gauge>* regression_;
  prometheus::Family<prometheus::Gauge>* open_;
  prometheus::Family<prometheus::Gauge>* openBySeverity_;
  prometheus::Family<prometheus::Counter>* cycles_;
  prometheus::Family<prometheus::Histogram>* cycleDuration_;
  prometheus::Family<prometheus::Gauge>* lastCycle_;
  prometheus::Family<prometheus::Gauge>* interval_;
  prometheus::Family<prometheus::Gauge>* machineFactor_;
  prometheus::Family<prometheus::Counter>* jobs_;
  prometheus::Family<prometheus::Counter>* failures_;
  std::map<std::string, prometheus::Gauge*> openGauges_;  // "scenario/metric/severity"
  prometheus::Family<prometheus::Gauge>* budgetSeconds_;
  prometheus::Family<prometheus::Gauge>* budgetBytes_;
  prometheus::Family<prometheus::Gauge>* budgetExceeded_;
  std::vector<prometheus::Gauge*> budgetGauges_;            // of the current config, removed on a reload
  std::map<std::string, prometheus::Gauge*> exceededGauges_;  // "scenario/metric" of every budget
};

}  // namespace giflab::daemon
