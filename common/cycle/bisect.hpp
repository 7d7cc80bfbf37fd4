#pragma once
// giflab-perfctl bisect: the first commit between a good and a bad one at
// which a scenario got slower (or bigger), found by binary search with the
// product's own regression rule at every step. Each commit is built and
// measured in a temporary git worktree, interleaved run by run with the good
// commit (built once), and judged regressed, unchanged, or measured again;
// one that stays undecided after kMaxBisectRounds, or does not build, is
// skipped as `git bisect skip` would. Runs locally and blocks.
#include <atomic>
#include <filesystem>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/detect/detection.hpp"
#include "common/store/config.hpp"
#include "common/vcs/git.hpp"

namespace giflab {

// Rounds of `iterations` runs a side before a step is undecidable; the first
// stops as soon as its verdict is settled (common/detect/sequential.hpp).
inline constexpr int kMaxBisectRounds = 4;

struct BisectOptions {
  std::filesystem::path repository;
  std::string good, bad;
  std::string scenario;
  std::string build;                // run by sh -c in each checkout; empty: nothing to build
  std::string metric = kProcessingTime;
  std::optional<double> threshold;  // default: performance.regression_threshold
};

enum class StepVerdict { Bad, Good, Undecidable, BuildFailed, Failed };
inline constexpr EnumNames<StepVerdict, 5> kStepVerdictNames{{{{StepVerdict::Bad, "bad"},
                                                               {StepVerdict::Good, "good"},
                                                               {StepVerdict::Undecidable, "undecidable"},
                                                               {StepVerdict::BuildFailed, "build_failed"},
                                                               {StepVerdict::Failed, "failed"}}}};

struct BisectStep {
  CommitInfo commit;
  StepVerdict verdict = StepVerdict::Undecidable;
  int rounds = 0;                            // measuring rounds taken (the first looks after every run)
  size_t runs = 0;                           // runs a side the verdict took
  std::optional<MetricComparison> change;    // the commit against the good one
  std::string detail;                        // why it was skipped
};

struct BisectResult {
  std::string scenario, metric;
  double threshold = 0;
  CommitInfo good, bad;
  size_t commitsBetween = 0;                 // after good, up to and including bad
  std::optional<CommitInfo> firstBad;        // unset: good and bad do not differ
  std::vector<CommitInfo> couldAlsoBe;       // skipped commits just before firstBad
  std::optional<MetricComparison> change;    // firstBad against good
  std::vector<BisectStep> steps;             // every commit measured, in order (the first: bad)
  std::vector<BisectStep> skipped;
  std::string message;

  bool found() const { return firstBad.has_value(); }
};

// progress: one line per event ("step 2 of about 6: abc1234 Subject").
// Throws Error: not a repository, an unknown revision, good not before bad, an
// unknown scenario or one without {worktree}, a good commit that does not
// build or whose scenario fails; Cancelled when interrupt is set.
BisectResult runBisect(const Config& config, const BisectOptions& options, const std::atomic<bool>* interrupt,
                       const std::function<void(const std::string&)>& progress);

void to_json(nlohmann::json& j, const BisectResult& r);

// The bisect command that would find an open regression's change, when the
// versions on either side of it are revisions of `repository`; nullopt
// otherwise (no repository, versions that are not commits). configFile:
// given as --config when not empty.
std::optional<std::string> bisectCommandFor(const std::filesystem::path& configFile,
                                            const std::filesystem::path& repository, const std::string& scenario,
                                            const std::string& metric, const std::string& versionBefore,
                                            const std::string& versionAfter, double threshold);

}  // namespace giflab
