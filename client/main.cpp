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
#include "common/store/baseline.hpp"
#include "common/base/bus_names.hpp"
#include "common/cycle/check_report.hpp"
#include "common/base/error.hpp"
#include "common/base/text.hpp"
#include "common/base/version.hpp"
#include "common/cycle/bisect.hpp"
#include "common/cycle/compare_sources.hpp"

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

// Everything the command line sets.
struct Options {
  bool system = false, user = false, local = false, json = false, noColor = false;
  std::string address, config, stateDir;
  bool verbose = false;
  std::vector<std::string> scenarios;
  std::optional<int> iterations;
  int cycles = 0;
  HistoryQuery history;
  std::string historyScenario, historyMetric, historyVersion, historyEnvironment;
  bool checkPhase6 = false;
  CheckOptions check;
  std::string threshold;
  bool notify = false;
  std::string analyzeFile, analyzeMetric, analyzeEnvironment;
  ChangePointOptions analyzeOptions;
  std::string reportOutput;
  BisectOptions bisect;
  std::string bisectRepo, bisectThreshold;
  std::vector<std::string> compareSources, compareEnvironments;
  CompareOptions compare;
};

// Arguments from the command line may be any bytes: never let them stop the output.
void printJson(const json& j) {
  std::printf("%s\n", j.dump(2, ' ', false, json::error_handler_t::replace).c_str());
}
// What a subcommand does, given the backend (nullptr for one that needs none)
// and the progress bar; returns the exit code.
struct Run {
  const Options& options;
  ProgressBar& bar;
  ProgressFn progress;
  // JSON with --json, the human rendering otherwise.
  void show(const json& doc, void (*render)(const json&)) const { options.json ? printJson(doc) : render(doc); }
};
using Action = std::function<int(Backend*, Run&)>;
struct Command {
  CLI::App* app;
  Action action;
  bool needsBackend = true;
};

const char* const kMinChangeHelp = "Smallest change point reported, as a fraction of the level before (default 0.02)";
const char* const kSensitivityHelp =
    "Chance of a false change point in a series of pure noise (default 0.001; higher finds more)";

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


void addGlobalOptions(CLI::App& app, Options& o) {
  app.require_subcommand(1);
  app.fallthrough();
  auto* sys = app.add_flag("--system", o.system, "Talk to the daemon on the system bus (default)");
  auto* usr = app.add_flag("--user", o.user, "Talk to the daemon on the session bus; with --local, use XDG paths");
  auto* addr = app.add_option("--address", o.address, "Talk to the daemon on the bus at this D-Bus address");
  sys->excludes(usr, addr);
  usr->excludes(addr);
  app.add_flag("--local", o.local, "No daemon: run the engine in this process");
  app.add_option("--config", o.config, "Config file for --local (default /etc/giflab-perfd/config.json)");
  app.add_option("--state-dir", o.stateDir, "State folder for --local (default /var/lib/giflab-perfd)");
  app.add_flag("--json", o.json, "Print JSON on stdout (and nothing else)");
  app.add_flag("--no-color", o.noColor, "No colours (also when NO_COLOR is set)");
  app.set_version_flag("--version", std::string("giflab-perfctl ") + kVersion);
}

// From alert to bisect: each open regression whose versions are commits of
// the configured repository gets the command that would find its change.
// Looked up here, by the client, so that the daemon never runs git.
void addBisectCommands(json& status) {
  if (!status.contains("repository") || !status["repository"].is_string()) return;
  if (!status.contains("open_regressions") || !status["open_regressions"].is_array()) return;
  // The daemon's config, named unless bisect would find it by itself.
  std::filesystem::path config = status.value("config", "");
  if (!config.empty()) config = std::filesystem::absolute(config);
  if (config == defaultConfigPath(false)) config.clear();
  for (auto& open : status["open_regressions"]) {
    if (!open.is_object()) continue;
    const auto command =
        bisectCommandFor(config, status["repository"].get<std::string>(), open.value("scenario", ""), open.value("metric", ""),
                         open.value("version_before", ""), open.value("version_after", ""),
                         open.value("threshold", status.value("regression_threshold", 0.10)));
    if (command) open["bisect_command"] = *command;
  }
}

void addStatus(CLI::App& app, Options& o, std::vector<Command>& commands) {
  auto* status = app.add_subcommand("status", "Daemon, monitor, scenarios, baselines and open regressions");
  status->add_flag("--verbose,-v", o.verbose, "Show commands, paths and pending regressions");
  commands.push_back({status, [](Backend* b, Run& r) {
                        json doc = b->status(r.options.verbose);
                        addBisectCommands(doc);
                        r.options.json ? printJson(doc) : renderStatus(doc, r.options.verbose);
                        return kOk;
                      }});
}

// baseline create / update: measure and store.
void addBaselineMeasure(CLI::App& baseline, const char* name, const char* help, Options& o,
                        std::vector<Command>& commands) {
  auto* c = baseline.add_subcommand(name, help);
  c->add_option("--scenario", o.scenarios, "Only this scenario (repeatable)");
  c->add_option("--iterations", o.iterations, "Measured runs per scenario (at least 3)");
  const bool create = std::string_view(name) == "create";
  commands.push_back({c, [create](Backend* b, Run& r) {
                        const auto& opt = r.options;
                        // Refused here as --local refuses it: 0 would mean "the scenario's own count" on the bus.
                        if (opt.iterations) requireBaselineIterations(*opt.iterations);
                        const json doc = create ? b->baselineCreate(opt.scenarios, opt.iterations, r.progress)
                                                : b->baselineUpdate(opt.scenarios, opt.iterations, r.progress);
                        r.bar.finish();
                        r.show(doc, renderBaselines);
                        return doc.value("errors", json::array()).empty() ? kOk : kError;
                      }});
}

void addBaseline(CLI::App& app, Options& o, std::vector<Command>& commands) {
  auto* baseline = app.add_subcommand("baseline", "Create, update, list or clear baselines");
  baseline->require_subcommand(1);
  addBaselineMeasure(*baseline, "create", "Measure and store new baselines (replaces existing ones)", o, commands);
  addBaselineMeasure(*baseline, "update", "Add fresh samples to existing baselines", o, commands);
  auto* list = baseline->add_subcommand("list", "List stored baselines");
  commands.push_back({list, [](Backend* b, Run& r) {
                        r.show(b->baselineList(), renderBaselineList);
                        return kOk;
                      }});
  auto* clear = baseline->add_subcommand("clear", "Remove baselines (all, or --scenario S)");
  clear->add_option("--scenario", o.scenarios, "Only this scenario (repeatable)");
  commands.push_back({clear, [](Backend* b, Run& r) {
                        r.show(b->baselineClear(r.options.scenarios), renderCleared);
                        return kOk;
                      }});
}

void addMonitor(CLI::App& app, Options& o, std::vector<Command>& commands) {
  auto* monitor = app.add_subcommand("monitor", "Start, stop or show the continuous monitoring loop");
  monitor->require_subcommand(1);
  auto* start = monitor->add_subcommand("start", "Start monitoring");
  start->add_option("--cycles", o.cycles, "With --local: stop after this many cycles (default: until interrupted)");
  auto* stop = monitor->add_subcommand("stop", "Stop monitoring");
  auto* status = monitor->add_subcommand("status", "Show the monitor's state");
  for (const auto& [c, action] : {std::pair{start, "start"}, std::pair{stop, "stop"}, std::pair{status, "status"}})
    commands.push_back({c, [action = std::string(action)](Backend* b, Run& r) {
                          const json doc = b->monitor(action, r.progress);
                          r.bar.finish();
                          // A local monitor printed its cycles as they went.
                          if (!(r.options.local && action == "start" && !r.options.json)) r.show(doc, renderMonitor);
                          return kOk;
                        }});
}

void addHistory(CLI::App& app, Options& o, std::vector<Command>& commands) {
  auto* history = app.add_subcommand("history", "History records, trends and change points");
  history->add_option("--scenario", o.historyScenario, "Only this scenario");
  history->add_option("--metric", o.historyMetric, "processing_time or memory_usage")
      ->check(CLI::IsMember({"processing_time", "memory_usage"}));
  history->add_option("--days", o.history.days, "How many days back (default 7)")->check(CLI::Range(1, 3650));
  history->add_option("--version", o.historyVersion, "Only records of this version (see version_command)");
  history->add_option("--env", o.historyEnvironment, "Only records of this environment (config \"environment\")");
  history->add_flag("--trend", o.history.trend, "Trend per scenario and metric");
  history->add_flag("--changes", o.history.changes, "Change points per scenario and metric");
  history->add_option("--min-change", o.history.changeOptions.minRelativeChange, kMinChangeHelp);
  history->add_option("--sensitivity", o.history.changeOptions.alpha, kSensitivityHelp);
  commands.push_back({history, [](Backend* b, Run& r) {
                        HistoryQuery q = r.options.history;
                        if (!r.options.historyScenario.empty()) q.scenario = r.options.historyScenario;
                        if (!r.options.historyMetric.empty()) q.metric = r.options.historyMetric;
                        if (!r.options.historyVersion.empty()) q.version = r.options.historyVersion;
                        if (!r.options.historyEnvironment.empty()) q.environment = r.options.historyEnvironment;
                        // Trends and change points replace the listing; the table shows the newest records.
                        q.maxRecords = q.trend || q.changes ? 0 : r.options.json ? 100000 : 1000;
                        r.show(b->history(q), renderHistory);
                        return kOk;
                      }});
}

// ci check / gate: measure, compare, and for a gate fail on a regression.
void addCiCheck(CLI::App& ci, const char* name, const char* help, Options& o, std::vector<Command>& commands) {
  auto* c = ci.add_subcommand(name, help);
  c->add_option("--threshold", o.threshold, "Regression fraction that fails (default ci_regression_threshold)");
  c->add_option("--scenario", o.check.scenarios, "Only this scenario (repeatable)");
  const bool gate = std::string_view(name) == "gate";
  commands.push_back({c, [gate](Backend* b, Run& r) {
                        CheckOptions options = r.options.check;
                        options.action = gate ? "gate" : "check";
                        if (!r.options.threshold.empty()) options.threshold = parseThreshold(r.options.threshold);
                        const json doc = b->ci(options, r.progress);
                        r.bar.finish();
                        r.show(doc, renderCheck);
                        const auto result = kCheckResultNames.parse(doc.value("overall_result", ""));
                        if (result == CheckResult::Error) return kError;
                        const bool fails = gate && doc.value("fail_ci_on_regression", true);
                        // A budget is an absolute limit: the gate holds it whatever fail_ci_on_regression says.
                        const bool overBudget = gate && !doc.value("budgets_exceeded", json::array()).empty();
                        return (result == CheckResult::Regressed && fails) || overBudget ? kRegression : kOk;
                      }});
}

void addChecks(CLI::App& app, Options& o, std::vector<Command>& commands) {
  auto* validate = app.add_subcommand("validate", "Speedup validations (the Phase 6 pair)");
  validate->add_flag("--check-phase6", o.checkPhase6, "Validate the Phase 6 speedup");
  commands.push_back({validate, [](Backend* b, Run& r) {
                        const json doc = b->validate(r.progress);
                        r.bar.finish();
                        r.show(doc, renderValidate);
                        const auto result = kValidationResultNames.parse(doc.value("overall_result", ""));
                        return result == ValidationResult::Failed ? kRegression : kOk;
                      }});
  auto* ci = app.add_subcommand("ci", "CI regression check; 'gate' fails the build on a regression");
  ci->require_subcommand(1);
  addCiCheck(*ci, "check", "Measure and compare with the baselines; report only", o, commands);
  addCiCheck(*ci, "gate", "As check, exit 1 on a regression above the threshold", o, commands);
}

// Local whatever the bus options: the daemon never builds code. Exit 0 when
// a first bad commit is named, 1 when there is nothing to find.
int runBisectCommand(const Options& o) {
  BisectOptions options = o.bisect;
  options.repository = o.bisectRepo;
  if (!o.bisectThreshold.empty()) options.threshold = parseThreshold(o.bisectThreshold);
  const auto configPath = o.config.empty() ? defaultConfigPath(o.user) : std::filesystem::path(o.config);
  const Config config = loadConfig(configPath);
  const BisectResult result = runBisect(config, options, &interruptFlag(), [](const std::string& line) {
    std::fprintf(stderr, "%s\n", line.c_str());
  });
  const json doc = result;
  o.json ? printJson(doc) : renderBisect(doc);
  return result.found() ? kOk : kRegression;
}

// Sources as given: a history file, or an environment in this machine's
// history (the state folder's history.jsonl, as --local would use).
int runCompareCommand(const Options& o) {
  const auto state = o.stateDir.empty() ? defaultStateDir(o.user) : std::filesystem::path(o.stateDir);
  std::vector<HistorySource> sources;
  for (const auto& s : o.compareSources) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(s, ec)) sources.push_back({s, std::nullopt, s});
    else sources.push_back({state / "history.jsonl", s, s});
  }
  for (const auto& e : o.compareEnvironments) sources.push_back({state / "history.jsonl", e, e});
  if (sources.size() != 2)
    throw Error(ErrorKind::InvalidArgument, "compare needs two sources, got " + std::to_string(sources.size()) +
                                                ": give two history files or environment names, e.g. "
                                                "'compare --env staging --env production' or 'compare a.jsonl b.jsonl'");
  for (const auto& s : sources)
    if (s.environment && !isValidScenarioName(*s.environment))
      throw Error(ErrorKind::InvalidArgument, "\"" + shortened(*s.environment) +
                                                  "\" is neither a history file nor an environment name");
  const json doc = compareSources(sources[0], sources[1], o.compare);
  o.json ? printJson(doc) : renderCompare(doc);
  return kOk;
}

void addTools(CLI::App& app, Options& o, std::vector<Command>& commands) {
  auto* watch = app.add_subcommand("watch", "Print regression signals as they arrive, until interrupted");
  watch->add_flag("--notify", o.notify, "Also show each RegressionDetected as a desktop notification");
  commands.push_back({watch, [](Backend* b, Run& r) { return runWatch(*b, r.options.notify, r.options.json); }});

  auto* analyze = app.add_subcommand("analyze", "Change detection on a JSONL file of history records (offline)");
  analyze->add_option("FILE", o.analyzeFile, "JSON Lines file of history records")->required();
  analyze->add_option("--metric", o.analyzeMetric, "processing_time or memory_usage")
      ->check(CLI::IsMember({"processing_time", "memory_usage"}));
  analyze->add_option("--min-change", o.analyzeOptions.minRelativeChange, kMinChangeHelp);
  analyze->add_option("--sensitivity", o.analyzeOptions.alpha, kSensitivityHelp);
  analyze->add_option("--env", o.analyzeEnvironment, "Only records of this environment");
  auto analyzeAction = [](Backend*, Run& r) {
    const auto& opt = r.options;
    const auto metric = opt.analyzeMetric.empty() ? std::nullopt : std::optional<std::string>(opt.analyzeMetric);
    const auto environment =
        opt.analyzeEnvironment.empty() ? std::nullopt : std::optional<std::string>(opt.analyzeEnvironment);
    r.show(Engine::analyzeFile(opt.analyzeFile, metric, opt.analyzeOptions, environment), renderAnalyze);
    return kOk;
  };
  commands.push_back({analyze, analyzeAction, false});

  auto* deps = app.add_subcommand("deps", "Diagnostics");
  deps->require_subcommand(1);
  auto* depsCheck = deps->add_subcommand("check", "Check bus, daemon, config, scenario commands and data");
  depsCheck->add_flag("--verbose,-v", o.verbose, "Show the detail of every check");
  commands.push_back({depsCheck, [](Backend* b, Run& r) {
                        const json doc = b->deps();
                        r.options.json ? printJson(doc) : renderDeps(doc, r.options.verbose);
                        return doc.value("ok", false) ? kOk : kError;
                      }});

  auto* bisect = app.add_subcommand("bisect", "Find the commit that slowed a scenario (local: builds and measures each "
                                                 "checkout in a temporary git worktree)");
  bisect->add_option("--repo", o.bisectRepo, "The git repository")->required();
  bisect->add_option("--good", o.bisect.good, "A revision without the regression")->required();
  bisect->add_option("--bad", o.bisect.bad, "A later revision with it")->required();
  bisect->add_option("--scenario", o.bisect.scenario, "The scenario to measure; {worktree} in its command is the checkout")
      ->required();
  bisect->add_option("--build", o.bisect.build, "Build command, run by sh -c in each checkout");
  bisect->add_option("--threshold", o.bisectThreshold, "Smallest change that counts (default: regression_threshold)");
  bisect->add_option("--metric", o.bisect.metric, "processing_time (default) or memory_usage")
      ->check(CLI::IsMember({"processing_time", "memory_usage"}));
  commands.push_back({bisect, [](Backend*, Run& r) { return runBisectCommand(r.options); }, false});

  auto* compare = app.add_subcommand("compare", "Compare two histories or environments: B against A, per scenario");
  compare->add_option("SOURCES", o.compareSources, "History files or environment names (A, then B)")->expected(0, 2);
  compare->add_option("--env", o.compareEnvironments, "An environment in this machine's history (repeatable)");
  compare->add_option("--days", o.compare.days, "The last N days of each source (default 30)")->check(CLI::Range(1, 3650));
  compare->add_option("--min-change", o.compare.minChange,
                      "Smaller ratios than 1 + this count as the same (default 0.05)");
  commands.push_back({compare, [](Backend*, Run& r) { return runCompareCommand(r.options); }, false});

  auto* report = app.add_subcommand("report", "Write a self-contained HTML report");
  report->add_option("--output", o.reportOutput, "The HTML file to write")->required();
  commands.push_back({report, [](Backend* b, Run& r) { return writeReport(*b, r.options.reportOutput); }});
}

std::unique_ptr<Backend> makeBackend(const Options& o) {
  if (o.local) {
    const auto config = o.config.empty() ? defaultConfigPath(o.user) : std::filesystem::path(o.config);
    const auto state = o.stateDir.empty() ? defaultStateDir(o.user) : std::filesystem::path(o.stateDir);
    return makeLocalBackend(Engine(loadConfig(config), state), o.cycles, o.json);
  }
  if (!o.config.empty() || !o.stateDir.empty())
    throw Error(ErrorKind::InvalidArgument, "--config and --state-dir go with --local; the daemon uses its own");
  const BusTarget target = o.user ? BusTarget::Session : !o.address.empty() ? BusTarget::Address : BusTarget::System;
  return makeBusBackend(target, o.address);
}

// The error on stderr (and as JSON on stdout with --json); exit code 2.
int fail(const Options& o, const std::string& kind, const std::string& message) {
  if (o.json) printJson({{"error", {{"name", bus::kErrorPrefix + kind}, {"message", message}}}});
  std::fprintf(stderr, "%s %s\n", Style::paint("error:", Color::Red, stderr).c_str(), message.c_str());
  return kError;
}

int runCommand(const Command& command, const Options& o) {
  try {
    std::unique_ptr<Backend> backend = command.needsBackend ? makeBackend(o) : nullptr;
    ProgressBar bar;
    Run run{o, bar, [&](double f, const std::string& m) { bar.update(f, m); }};
    return command.action(backend.get(), run);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::Cancelled) return fail(o, "Cancelled", "interrupted; nothing was saved for the unfinished work");
    // A refusal names itself, as the bus error it is.
    if (e.kind() == ErrorKind::AccessDenied)
      return fail(o, "AccessDenied", std::string(e.what()) + " [" + bus::errorName(e.kind()) + "]");
    return fail(o, std::string(bus::kErrorNames.name(e.kind())), e.what());
  } catch (const std::exception& e) {
    return fail(o, "Internal", e.what());
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"giflab-perfctl: control giflab-perfd, the GIF pipeline performance monitor"};
  Options options;
  std::vector<Command> commands;
  addGlobalOptions(app, options);
  addStatus(app, options, commands);
  addBaseline(app, options, commands);
  addMonitor(app, options, commands);
  addHistory(app, options, commands);
  addChecks(app, options, commands);
  addTools(app, options, commands);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kOk : kError;
  }
  if (options.noColor) Style::disableColor();
  installInterruptHandlers();
  for (const auto& command : commands)
    if (command.app->parsed()) return runCommand(command, options);
  return fail(options, "InvalidArgument", "no command given; see giflab-perfctl --help");
}
