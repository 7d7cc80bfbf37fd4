#include "common/cycle/bisect.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "common/base/error.hpp"
#include "common/base/temporary_folder.hpp"
#include "common/base/text.hpp"
#include "common/detect/sequential.hpp"
#include "common/measure/blocking.hpp"
#include "common/measure/runner.hpp"
#include "common/measure/scenario_runner.hpp"
#include "common/cycle/engine.hpp"

namespace giflab {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::chrono::hours kBuildTimeout{2};

std::string shortHash(const std::string& hash) { return hash.substr(0, 10); }

// The scenario with {worktree} filled in: the program and data of one checkout.
Scenario inCheckout(const Scenario& scenario, const fs::path& worktree, const std::string& label) {
  Scenario s = scenario;
  s.name = scenario.name + "@" + label;
  s.worktree = worktree.string();
  return s;
}

bool namesWorktree(const Scenario& s) {
  auto has = [](const std::string& t) { return t.find(kWorktreePlaceholder) != std::string::npos; };
  for (const auto& arg : s.command)
    if (has(arg)) return true;
  return has(s.data_pattern);
}

class Bisection {
 public:
  Bisection(const Config& config, const BisectOptions& options, const std::atomic<bool>* interrupt,
            const std::function<void(const std::string&)>& progress)
      : options_(options),
        interrupt_(interrupt),
        progress_(progress),
        repo_(options.repository),
        folder_("giflab-bisect.") {
    requireMetricName(options.metric);
    const Scenario* s = config.findScenario(options.scenario);
    if (!s) {
      std::string known;
      for (const auto& k : config.scenarios) known += (known.empty() ? "" : ", ") + k.name;
      throw Error(ErrorKind::UnknownScenario, "unknown scenario \"" + shortened(options.scenario) +
                                                  "\"; known scenarios: " + (known.empty() ? "(none)" : known));
    }
    if (!namesWorktree(*s))
      throw Error(ErrorKind::InvalidArgument,
                  "scenario " + s->name + " does not name {worktree} in its command or data_pattern, so every commit "
                  "would run the same program; write the program's path as \"{worktree}/...\" in the config");
    scenario_ = *s;
    minRuns_ = static_cast<size_t>(config.performance.min_iterations);
    policy_.threshold = options.threshold.value_or(config.performance.regression_threshold);
    policy_.confidence = config.performance.confidence_level;
    if (!(policy_.threshold > 0 && policy_.threshold <= 10))
      throw Error(ErrorKind::InvalidArgument, "--threshold must be above 0 and at most 10 (0.10 means 10 %)");
  }

  BisectResult run() {
    result_.scenario = scenario_.name;
    result_.metric = options_.metric;
    result_.threshold = policy_.threshold;
    const std::string good = resolve(options_.good, "--good");
    const std::string bad = resolve(options_.bad, "--bad");
    if (good == bad || !repo_.isAncestor(good, bad))
      throw Error(ErrorKind::InvalidArgument, "--good " + shortened(options_.good) + " is not an ancestor of --bad " +
                                                  shortened(options_.bad) + "; give an older good revision");
    result_.good = repo_.describe(good);
    result_.bad = repo_.describe(bad);
    const auto commits = repo_.commitsBetween(good, bad);
    result_.commitsBetween = commits.size();
    expectedSteps_ = 1 + static_cast<int>(std::ceil(std::log2(std::max<size_t>(commits.size(), 1))));

    goodTree_.emplace(repo_, good, folder_.path() / "good");
    say("building the good commit " + shortHash(good) + " " + result_.good.subject);
    if (auto failure = build(goodTree_->path()))
      throw Error(ErrorKind::ScenarioFailed, "the good commit " + shortHash(good) + " does not build: " + *failure);
    goodScenario_ = inCheckout(scenario_, goodTree_->path(), shortHash(good));

    // The bad end first: without a difference there is nothing to find.
    BisectStep last = measureCommit(result_.bad);
    result_.steps.push_back(last);
    if (last.verdict == StepVerdict::BuildFailed || last.verdict == StepVerdict::Failed)
      throw Error(ErrorKind::ScenarioFailed, "the bad commit " + shortHash(bad) + " cannot be measured: " + last.detail);
    if (last.verdict != StepVerdict::Bad) {
      result_.message = (last.verdict == StepVerdict::Good
                             ? std::string("good and bad do not differ by the threshold")
                             : "good and bad could not be told apart (" + last.detail + ")") +
                        ": nothing to find; give a smaller --threshold, or a scenario that exercises the change";
      return result_;
    }
    search(commits, last);
    return result_;
  }

 private:
  std::string resolve(const std::string& revision, const char* flag) {
    auto hash = repo_.resolve(revision);
    if (!hash)
      throw Error(ErrorKind::InvalidArgument, std::string(flag) + " " + shortened(revision) + ": no such commit in " +
                                                  repo_.top().string() + "; give a hash, tag or branch (git log --oneline)");
    return *hash;
  }

  // Binary search between the last good index (-1: the good commit) and the
  // first known bad one; skipped commits are stepped around.
  void search(const std::vector<std::string>& commits, BisectStep badStep) {
    long lo = -1, hi = static_cast<long>(commits.size()) - 1;
    std::vector<bool> skipped(commits.size(), false);
    std::optional<MetricComparison> hiChange = badStep.change;
    for (;;) {
      const long mid = pick(lo, hi, skipped);
      if (mid < 0) break;
      BisectStep step = measureCommit(repo_.describe(commits[static_cast<size_t>(mid)]));
      result_.steps.push_back(step);
      if (step.verdict == StepVerdict::Bad) {
        hi = mid;
        hiChange = step.change;
      } else if (step.verdict == StepVerdict::Good) {
        lo = mid;
      } else {
        skipped[static_cast<size_t>(mid)] = true;
        result_.skipped.push_back(step);
      }
    }
    result_.firstBad = repo_.describe(commits[static_cast<size_t>(hi)]);
    result_.change = hiChange;
    for (long i = lo + 1; i < hi; ++i)
      if (skipped[static_cast<size_t>(i)]) result_.couldAlsoBe.push_back(repo_.describe(commits[static_cast<size_t>(i)]));
    result_.message = result_.couldAlsoBe.empty()
                          ? "first bad commit found"
                          : "the first bad commit is " + shortHash(result_.firstBad->hash) + " or one of the " +
                                std::to_string(result_.couldAlsoBe.size()) + " skipped commits before it";
  }

  // The untested commit nearest the middle of (lo, hi); -1 when none is left.
  static long pick(long lo, long hi, const std::vector<bool>& skipped) {
    const long middle = lo + (hi - lo) / 2;
    for (long d = 0; d < hi - lo; ++d)
      for (long i : {middle - d, middle + d})
        if (i > lo && i < hi && !skipped[static_cast<size_t>(i)]) return i;
    return -1;
  }

  BisectStep measureCommit(const CommitInfo& commit) {
    throwIfInterrupted();
    BisectStep step;
    step.commit = commit;
    ++stepNumber_;
    say("step " + std::to_string(stepNumber_) + " of about " + std::to_string(expectedSteps_) + ": " +
        shortHash(commit.hash) + " " + commit.subject);
    TemporaryWorktree tree(repo_, commit.hash, folder_.path() / ("step-" + std::to_string(stepNumber_)));
    if (auto failure = build(tree.path())) {
      step.verdict = StepVerdict::BuildFailed;
      step.detail = "the build failed: " + *failure;
      say("  skipped: " + step.detail);
      return step;
    }
    const Scenario candidate = inCheckout(scenario_, tree.path(), shortHash(commit.hash));
    std::vector<double> goodValues, candidateValues;
    // The first round looks after min_iterations runs a side and after each
    // run from there (sequential.hpp); undecided at its end, whole rounds of
    // `iterations` follow, decided by the fixed rule.
    const size_t most = static_cast<size_t>(std::max(scenario_.iterations, 1));
    const LookPlan looks{std::min(minRuns_, most), most, false};
    size_t want = looks.minRuns;  // runs a side before the next look
    step.rounds = 1;
    for (;;) {
      const int have = static_cast<int>(candidateValues.size());
      const int more = static_cast<int>(want) - have;
      const bool warm = have == 0;
      // Interleaved run by run: both commits see the same machine.
      const auto measured = runBlocking(
          [&](Cancellation cancel) {
            return runInterleaved({{&goodScenario_, more, warm, have, static_cast<int>(want)},
                                   {&candidate, more, warm, have, static_cast<int>(want)}},
                                  std::move(cancel), {});
          },
          interrupt_);
      if (measured[0].error)
        throw Error(ErrorKind::ScenarioFailed, "the scenario fails on the good commit: " + *measured[0].error);
      if (measured[1].error) {
        step.verdict = StepVerdict::Failed;
        step.detail = "the scenario failed: " + *measured[1].error;
        say("  skipped: " + step.detail);
        return step;
      }
      const bool time = options_.metric == kProcessingTime;
      for (const auto& v : time ? measured[0].processingTimes() : measured[0].memoryUsages()) goodValues.push_back(v);
      for (const auto& v : time ? measured[1].processingTimes() : measured[1].memoryUsages())
        candidateValues.push_back(v);
      MetricComparison c = compareMetric(options_.metric, candidateValues, goodValues, policy_);
      std::vector<MetricComparison*> family{&c};
      decide(family, policy_);
      const size_t runs = candidateValues.size();
      if (runs <= most && !settleAtLook(c, runs, looks, policy_)) {
        want = runs + 1;
        continue;
      }
      step.change = c;
      step.runs = runs;
      if (c.verdict == Verdict::Regressed) step.verdict = StepVerdict::Bad;
      else if (c.verdict == Verdict::NotRegressed) step.verdict = StepVerdict::Good;
      else if (step.rounds < kMaxBisectRounds) {  // inconclusive: another whole round
        ++step.rounds;
        want = runs + most;
        continue;
      } else break;
      say("  " + std::string(kStepVerdictNames.name(step.verdict)) + ": " + formatChange(c));
      return step;
    }
    step.verdict = StepVerdict::Undecidable;
    step.detail = "still undecided after " + std::to_string(step.rounds) + " rounds (" +
                  std::to_string(candidateValues.size()) + " runs a side)";
    say("  skipped: " + step.detail);
    return step;
  }

  static std::string formatChange(const MetricComparison& c) {
    char text[160];
    std::snprintf(text, sizeof text, "%+.1f %% (%+.1f %% to %+.1f %%), %zu runs a side", c.shift * 100,
                  c.shiftLow * 100, c.shiftHigh * 100, c.currentCount);
    return text;
  }

  // The build's failure, or nullopt when it built (or there is no build).
  std::optional<std::string> build(const fs::path& worktree) {
    if (options_.build.empty()) return std::nullopt;
    CommandOptions o;
    o.workingDirectory = worktree;
    const auto out = runCommand({"/bin/sh", "-c", options_.build}, kBuildTimeout, interrupt_, o);
    if (out.cancelled) throw Error(ErrorKind::Cancelled, "cancelled");
    if (out.succeeded()) return std::nullopt;
    return printable(out.describeFailure("the build command", std::chrono::duration<double>(kBuildTimeout).count()));
  }

  void throwIfInterrupted() const {
    if (interrupt_ && interrupt_->load()) throw Error(ErrorKind::Cancelled, "cancelled");
  }
  void say(const std::string& line) const {
    if (progress_) progress_(line);
  }

  const BisectOptions& options_;
  const std::atomic<bool>* interrupt_;
  const std::function<void(const std::string&)>& progress_;
  GitRepository repo_;
  TemporaryFolder folder_;                    // declared before the worktrees in it, so removed after them
  std::optional<TemporaryWorktree> goodTree_;
  Scenario scenario_, goodScenario_;
  size_t minRuns_ = 3;  // performance.min_iterations: the first look
  DetectionPolicy policy_;
  BisectResult result_;
  int stepNumber_ = 0, expectedSteps_ = 1;
};

json commitJson(const CommitInfo& c) { return {{"commit", c.hash}, {"subject", c.subject}, {"date", c.date}}; }

json changeJson(const MetricComparison& c) {
  return {{"metric", c.metric},        {"good", c.baseline},           {"bad", c.current},
          {"relative_change", c.relativeChange}, {"shift", c.shift}, {"shift_ci", {c.shiftLow, c.shiftHigh}},
          {"p_value", c.pValue},       {"runs", c.currentCount}};
}

// A word the shell reads as it is written.
std::string shellWord(const std::string& word) {
  const bool plain = !word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                              "0123456789_-./=:,+@%") == std::string::npos;
  if (plain) return word;
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace

std::optional<std::string> bisectCommandFor(const fs::path& configFile, const fs::path& repository,
                                            const std::string& scenario,
                                            const std::string& metric, const std::string& versionBefore,
                                            const std::string& versionAfter, double threshold) {
  if (repository.empty() || versionBefore.empty() || versionAfter.empty() || versionBefore == versionAfter)
    return std::nullopt;
  try {
    const GitRepository repo(repository);
    const auto good = repo.resolve(versionBefore);
    const auto bad = repo.resolve(versionAfter);
    if (!good || !bad || *good == *bad || !repo.isAncestor(*good, *bad)) return std::nullopt;
    char limit[32];
    std::snprintf(limit, sizeof limit, "%g", threshold);
    // Hashes, not the versions as printed: nothing in them for a shell to read.
    const std::string config = configFile.empty() ? "" : "--config " + shellWord(configFile.string()) + " ";
    return "giflab-perfctl " + config + "bisect --repo " + shellWord(repository.string()) + " --good " + good->substr(0, 12) +
           " --bad " + bad->substr(0, 12) + " --scenario " + shellWord(scenario) + " --metric " + metric +
           " --threshold " + limit;
  } catch (const Error&) {
    return std::nullopt;  // not a repository (any more), or git is missing: no hint
  }
}

BisectResult runBisect(const Config& config, const BisectOptions& options, const std::atomic<bool>* interrupt,
                       const std::function<void(const std::string&)>& progress) {
  return Bisection(config, options, interrupt, progress).run();
}

void to_json(json& j, const BisectResult& r) {
  j = {{"scenario", r.scenario},
       {"metric", r.metric},
       {"threshold", r.threshold},
       {"good", commitJson(r.good)},
       {"bad", commitJson(r.bad)},
       {"commits_between", r.commitsBetween},
       {"result", r.found() ? "found" : "nothing_to_find"},
       {"message", r.message},
       {"first_bad", r.firstBad ? commitJson(*r.firstBad) : json(nullptr)},
       {"change", r.change ? changeJson(*r.change) : json(nullptr)},
       {"steps", json::array()},
       {"skipped", json::array()}};
  if (!r.couldAlsoBe.empty()) {
    j["could_also_be"] = json::array();
    for (const auto& c : r.couldAlsoBe) j["could_also_be"].push_back(commitJson(c));
  }
  auto stepJson = [](const BisectStep& s) {
    json x = commitJson(s.commit);
    x["verdict"] = kStepVerdictNames.name(s.verdict);
    x["rounds"] = s.rounds;
    if (s.runs) x["runs"] = s.runs;
    if (s.change) x["change"] = changeJson(*s.change);
    if (!s.detail.empty()) x["reason"] = s.detail;
    return x;
  };
  for (const auto& s : r.steps) j["steps"].push_back(stepJson(s));
  for (const auto& s : r.skipped) j["skipped"].push_back(stepJson(s));
}

}  // namespace giflab
