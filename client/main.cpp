// giflab-perfctl: command-line parsing only. CLI11 lives in this one
// translation unit (it is slow to compile); the work happens behind Backend.
#include <CLI/CLI.hpp>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <iostream>

#include "client/backend.hpp"
#include "client/bus_backend.hpp"
#include "client/local_backend.hpp"
#include "client/render.hpp"
#include "client/terminal.hpp"
#include "common/baseline.hpp"
#include "common/bus_names.hpp"
#include "common/check_report.hpp"
#include "common/error.hpp"
#include "common/text.hpp"
#include "common/version.hpp"

namespace giflab::cli {

std::atomic<bool>& interruptFlag() {
  static std::atomic<bool> flag{false};
  return flag;
}

}  // namespace giflab::cli

namespace {

using namespace giflab;
using namespace giflab::cli;
using nlohmann::json;

enum ExitCode { kOk = 0, kRegression = 1, kError = 2 };

void onInterrupt(int) { interruptFlag().store(true); }

void installInterruptHandlers() {
  struct sigaction sa{};
  sa.sa_handler = onInterrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

struct GlobalOptions {
  bool system = false, user = false, local = false, json = false, noColor = false;
  std::string address, config, stateDir;
};

// "--threshold 0.2": a fraction above 0 and at most 10, said plainly otherwise.
double parseThreshold(const std::string& text) {
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || !std::isfinite(value))
    throw Error(ErrorKind::InvalidArgument,
                "--threshold \"" + shortened(text) + "\" is not a number; give a fraction such as 0.15 (15 %)");
  if (!(value > 0 && value <= 10))
    throw Error(ErrorKind::InvalidArgument, "--threshold " + shortened(text) +
                                                " is out of range; give a fraction above 0 and at most 10 (0.15 means 15 %)");
  return value;
}

// Arguments from the command line may be any bytes: never let them stop the output.
void printJson(const json& j) {
  std::printf("%s\n", j.dump(2, ' ', false, json::error_handler_t::replace).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"giflab-perfctl: control giflab-perfd, the GIF pipeline performance monitor"};
  app.require_subcommand(1);
  app.fallthrough();
  GlobalOptions g;
  auto* sys = app.add_flag("--system", g.system, "Talk to the daemon on the system bus (default)");
  auto* usr = app.add_flag("--user", g.user, "Talk to the daemon on the session bus; with --local, use XDG paths");
  auto* addr = app.add_option("--address", g.address, "Talk to the daemon on the bus at this D-Bus address");
  sys->excludes(usr, addr);
  usr->excludes(addr);
  app.add_flag("--local", g.local, "No daemon: run the engine in this process");
  app.add_option("--config", g.config, "Config file for --local (default /etc/giflab-perfd/config.json)");
  app.add_option("--state-dir", g.stateDir, "State folder for --local (default /var/lib/giflab-perfd)");
  app.add_flag("--json", g.json, "Print JSON on stdout (and nothing else)");
  app.add_flag("--no-color", g.noColor, "No colours (also when NO_COLOR is set)");
  app.set_version_flag("--version", std::string("giflab-perfctl ") + kVersion);

  bool verbose = false;
  auto* status = app.add_subcommand("status", "Daemon, monitor, scenarios, baselines and open regressions");
  status->add_flag("--verbose,-v", verbose, "Show commands, paths and pending regressions");

  std::vector<std::string> scenarios;
  std::optional<int> iterations;
  auto* baseline = app.add_subcommand("baseline", "Create, update, list or clear baselines");
  baseline->require_subcommand(1);
  auto* bCreate = baseline->add_subcommand("create", "Measure and store new baselines (replaces existing ones)");
  auto* bUpdate = baseline->add_subcommand("update", "Add fresh samples to existing baselines");
  for (auto* c : {bCreate, bUpdate}) {
    c->add_option("--scenario", scenarios, "Only this scenario (repeatable)");
    c->add_option("--iterations", iterations, "Measured runs per scenario (at least 3)");
  }
  auto* bList = baseline->add_subcommand("list", "List stored baselines");
  auto* bClear = baseline->add_subcommand("clear", "Remove baselines (all, or --scenario S)");
  bClear->add_option("--scenario", scenarios, "Only this scenario (repeatable)");

  int cycles = 0;
  auto* monitor = app.add_subcommand("monitor", "Start, stop or show the continuous monitoring loop");
  monitor->require_subcommand(1);
  auto* mStart = monitor->add_subcommand("start", "Start monitoring");
  mStart->add_option("--cycles", cycles, "With --local: stop after this many cycles (default: until interrupted)");
  auto* mStop = monitor->add_subcommand("stop", "Stop monitoring");
  auto* mStatus = monitor->add_subcommand("status", "Show the monitor's state");

  HistoryQuery hq;
  std::string hScenario, hMetric;
  auto* history = app.add_subcommand("history", "History records, trends and change points");
  history->add_option("--scenario", hScenario, "Only this scenario");
  history->add_option("--metric", hMetric, "processing_time or memory_usage")
      ->check(CLI::IsMember({"processing_time", "memory_usage"}));
  history->add_option("--days", hq.days, "How many days back (default 7)")->check(CLI::Range(1, 3650));
  history->add_flag("--trend", hq.trend, "Trend per scenario and metric");
  history->add_flag("--changes", hq.changes, "Change points per scenario and metric");
  const std::string minChangeHelp = "Smallest change point reported, as a fraction of the level before (default 0.02)";
  const std::string sensitivityHelp =
      "Chance of a false change point in a series of pure noise (default 0.001; higher finds more)";
  history->add_option("--min-change", hq.changeOptions.minRelativeChange, minChangeHelp);
  history->add_option("--sensitivity", hq.changeOptions.alpha, sensitivityHelp);

  bool checkPhase6 = false;
  auto* validate = app.add_subcommand("validate", "Speedup validations (the Phase 6 pair)");
  validate->add_flag("--check-phase6", checkPhase6, "Validate the Phase 6 speedup");

  CheckOptions co;
  std::optional<double> threshold;
  std::string thresholdText;
  auto* ci = app.add_subcommand("ci", "CI regression check; 'gate' fails the build on a regression");
  ci->require_subcommand(1);
  auto* ciCheck = ci->add_subcommand("check", "Measure and compare with the baselines; report only");
  auto* ciGate = ci->add_subcommand("gate", "As check, exit 1 on a regression above the threshold");
  for (auto* c : {ciCheck, ciGate}) {
    c->add_option("--threshold", thresholdText, "Regression fraction that fails (default ci_regression_threshold)");
    c->add_option("--scenario", co.scenarios, "Only this scenario (repeatable)");
  }

  bool notify = false;
  auto* watch = app.add_subcommand("watch", "Print regression signals as they arrive, until interrupted");
  watch->add_flag("--notify", notify, "Also show each RegressionDetected as a desktop notification");

  std::string analyzeFile, analyzeMetric;
  auto* analyze = app.add_subcommand("analyze", "Change detection on a JSONL file of history records (offline)");
  analyze->add_option("FILE", analyzeFile, "JSON Lines file of history records")->required();
  analyze->add_option("--metric", analyzeMetric, "processing_time or memory_usage")
      ->check(CLI::IsMember({"processing_time", "memory_usage"}));
  ChangePointOptions analyzeOptions;
  analyze->add_option("--min-change", analyzeOptions.minRelativeChange, minChangeHelp);
  analyze->add_option("--sensitivity", analyzeOptions.alpha, sensitivityHelp);

  auto* deps = app.add_subcommand("deps", "Diagnostics");
  deps->require_subcommand(1);
  auto* depsCheck = deps->add_subcommand("check", "Check bus, daemon, config, scenario commands and data");
  depsCheck->add_flag("--verbose,-v", verbose, "Show the detail of every check");

  std::string reportOut;
  auto* report = app.add_subcommand("report", "Write a self-contained HTML report");
  report->add_option("--output", reportOut, "The HTML file to write")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kOk : kError;
  }
  if (g.noColor) Style::disableColor();
  installInterruptHandlers();

  const auto fail = [&](const std::string& kind, const std::string& message) {
    if (g.json) printJson({{"error", {{"name", "org.giflab.Perf1.Error." + kind}, {"message", message}}}});
    std::fprintf(stderr, "%s %s\n", Style::paint("error:", Color::Red, stderr).c_str(), message.c_str());
    return kError;
  };

  try {
    if (*analyze) {
      const json doc = Engine::analyzeFile(
          analyzeFile, analyzeMetric.empty() ? std::nullopt : std::optional<std::string>(analyzeMetric), analyzeOptions);
      g.json ? printJson(doc) : renderAnalyze(doc);
      return kOk;
    }

    std::unique_ptr<Backend> backend;
    if (g.local) {
      const auto cfgPath = g.config.empty() ? defaultConfigPath(g.user) : std::filesystem::path(g.config);
      const auto state = g.stateDir.empty() ? defaultStateDir(g.user) : std::filesystem::path(g.stateDir);
      backend = makeLocalBackend(Engine(loadConfig(cfgPath), state), cycles, g.json);
    } else {
      if (!g.config.empty() || !g.stateDir.empty())
        return fail("InvalidArgument", "--config and --state-dir go with --local; the daemon uses its own");
      BusTarget target = g.user ? BusTarget::Session : !g.address.empty() ? BusTarget::Address : BusTarget::System;
      backend = makeBusBackend(target, g.address);
    }

    ProgressBar bar;
    const ProgressFn progress = [&](double f, const std::string& m) { bar.update(f, m); };
    json doc;
    int rc = kOk;
    if (*status) {
      doc = backend->status(verbose);
      g.json ? printJson(doc) : renderStatus(doc, verbose);
    } else if (*bCreate || *bUpdate) {
      // Refused here as --local refuses it: 0 would mean "the scenario's own count" on the bus.
      if (iterations) requireBaselineIterations(*iterations);
      doc = *bCreate ? backend->baselineCreate(scenarios, iterations, progress)
                     : backend->baselineUpdate(scenarios, iterations, progress);
      bar.finish();
      g.json ? printJson(doc) : renderBaselines(doc);
      if (!doc.value("errors", json::array()).empty()) rc = kError;
    } else if (*bList) {
      doc = backend->baselineList();
      g.json ? printJson(doc) : renderBaselineList(doc);
    } else if (*bClear) {
      doc = backend->baselineClear(scenarios);
      g.json ? printJson(doc) : renderCleared(doc);
    } else if (*mStart || *mStop || *mStatus) {
      doc = backend->monitor(*mStart ? "start" : *mStop ? "stop" : "status", progress);
      bar.finish();
      if (!(g.local && *mStart && !g.json)) g.json ? printJson(doc) : renderMonitor(doc);
    } else if (*history) {
      if (!hScenario.empty()) hq.scenario = hScenario;
      if (!hMetric.empty()) hq.metric = hMetric;
      // Trends and change points replace the listing; the table shows the newest records.
      hq.maxRecords = hq.trend || hq.changes ? 0 : g.json ? 100000 : 1000;
      doc = backend->history(hq);
      g.json ? printJson(doc) : renderHistory(doc);
    } else if (*validate) {
      doc = backend->validate(progress);
      bar.finish();
      g.json ? printJson(doc) : renderValidate(doc);
      rc = kValidationResultNames.parse(doc.value("overall_result", "")) == ValidationResult::Failed ? kRegression : kOk;
    } else if (*ciCheck || *ciGate) {
      co.action = *ciGate ? "gate" : "check";
      if (!thresholdText.empty()) threshold = parseThreshold(thresholdText);
      co.threshold = threshold;
      doc = backend->ci(co, progress);
      bar.finish();
      g.json ? printJson(doc) : renderCheck(doc);
      const auto result = kCheckResultNames.parse(doc.value("overall_result", ""));
      if (result == CheckResult::Error) rc = kError;
      else if (result == CheckResult::Regressed && *ciGate && doc.value("fail_ci_on_regression", true)) rc = kRegression;
    } else if (*depsCheck) {
      doc = backend->deps();
      g.json ? printJson(doc) : renderDeps(doc, verbose);
      rc = doc.value("ok", false) ? kOk : kError;
    } else if (*watch) {
      rc = runWatch(*backend, notify, g.json);
    } else if (*report) {
      rc = writeReport(*backend, reportOut);
    }
    return rc;
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::Cancelled) return fail("Cancelled", "interrupted; nothing was saved for the unfinished work");
    // A refusal names itself, as the bus error it is.
    if (e.kind() == ErrorKind::AccessDenied)
      return fail("AccessDenied", std::string(e.what()) + " [" + bus::errorName(e.kind()) + "]");
    return fail(std::string(bus::kErrorNames.name(e.kind())), e.what());
  } catch (const std::exception& e) {
    return fail("Internal", e.what());
  }
}
