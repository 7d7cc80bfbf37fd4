// giflab-perfctl bisect end to end: a real git repository, real builds in
// temporary worktrees, real measured runs; and versions in the history from
// a version_command, named by change points and open regressions.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/test_support.hpp"

using namespace giflab::test;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::string git(const std::filesystem::path& repo, std::vector<std::string> args) {
  std::vector<std::string> argv{"git", "-C", repo.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto r = run(argv);
  EXPECT_EQ(r.exitCode, 0) << "git failed: " << r.err;
  std::string out = r.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

class Bisect : public ::testing::Test {
 protected:
  TempDir dir;
  TempDir tmp;  // the bisect's TMPDIR: whatever it leaves behind shows up here
  std::filesystem::path repo() const { return dir / "repo"; }
  std::filesystem::path config() const { return dir / "config.json"; }

  // 32 commits whose prog.sh sleeps `before` seconds until commit `firstSlow`
  // and `after` from it on, each run with a 5 % jitter. build.sh copies it
  // to prog (what the scenario runs) and fails on the commits in failing.
  void makeRepository(double before, double after, int firstSlow = 19, std::vector<int> failing = {}) {
    std::filesystem::create_directories(repo());
    git(repo(), {"init", "-q"});
    git(repo(), {"config", "user.email", "test@example.org"});
    git(repo(), {"config", "user.name", "Test"});
    for (int i = 1; i <= 32; ++i) {
      const double seconds = i >= firstSlow ? after : before;
      writeFile(repo() / "prog.sh", "#!/bin/sh\n# commit " + std::to_string(i) +
                                        "\nexec awk -v seed=\"$$\" 'BEGIN { srand(seed); system(\"sleep \" " +
                                        std::to_string(seconds) + " * (1 + 0.05 * (2 * rand() - 1))) }'\n");
      const bool fails = std::find(failing.begin(), failing.end(), i) != failing.end();
      writeFile(repo() / "build.sh", fails ? "#!/bin/sh\necho 'broken on purpose' >&2\nexit 1\n"
                                           : "#!/bin/sh\ncp prog.sh prog && chmod +x prog\n");
      git(repo(), {"add", "prog.sh", "build.sh"});
      git(repo(), {"commit", "-q", "-m", "commit " + std::to_string(i)});
      hashes.push_back(git(repo(), {"rev-parse", "HEAD"}));
    }
    // The user's own state, which bisect must leave as it is: an edit, a staged file.
    writeFile(repo() / "notes.txt", "staged\n");
    git(repo(), {"add", "notes.txt"});
    writeFile(repo() / "prog.sh", "#!/bin/sh\n# local edit\n");
    writeFile(config(), R"({"scenarios": [{"name": "prog", "command": ["{worktree}/prog"],
                                           "iterations": 5, "warmup": 1, "timeout": 10}]})");
  }

  ProcessResult bisect(std::vector<std::string> extra) {
    std::vector<std::string> argv{perfctl().string(), "--config", config().string(), "--json", "bisect",
                                  "--repo", repo().string(), "--good", hashes.front(), "--bad", hashes.back(),
                                  "--scenario", "prog", "--build", "sh build.sh"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run(argv, {"TMPDIR=" + tmp.path().string()});
  }

  std::string userState() const {
    return git(repo(), {"status", "--porcelain"}) + "|" + git(repo(), {"rev-parse", "HEAD"}) + "|" +
           readFile(repo() / "prog.sh");
  }

  void expectNothingLeft(const std::string& stateBefore) {
    EXPECT_EQ(userState(), stateBefore);
    const std::string worktrees = git(repo(), {"worktree", "list"});
    EXPECT_EQ(std::count(worktrees.begin(), worktrees.end(), '\n'), 0) << worktrees;
    EXPECT_TRUE(std::filesystem::is_empty(tmp.path()));
  }

  // Commit numbers (1-based) of a list of commit objects in the JSON.
  int commitNumber(const json& commit) const {
    const auto it = std::find(hashes.begin(), hashes.end(), commit.value("commit", ""));
    return it == hashes.end() ? -1 : static_cast<int>(it - hashes.begin()) + 1;
  }

  std::vector<std::string> hashes;  // commit i is hashes[i - 1]
};

}  // namespace

TEST_F(Bisect, NamesTheFirstSlowCommitInAFewStepsAndLeavesTheCheckoutAlone) {
  makeRepository(0.100, 0.130);
  const std::string before = userState();
  const auto start = std::chrono::steady_clock::now();
  const auto r = bisect({});
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
  const json doc = parseJsonOutput(r);
  EXPECT_EQ(doc["result"], "found");
  EXPECT_EQ(commitNumber(doc["first_bad"]), 19) << doc.dump(2);
  EXPECT_EQ(doc["first_bad"]["subject"], "commit 19");
  EXPECT_FALSE(doc["first_bad"]["date"].get<std::string>().empty());
  // The bad end, then about log2(31) = 5 steps.
  EXPECT_LE(doc["steps"].size(), 8u);
  EXPECT_GE(doc["steps"].size(), 5u);
  EXPECT_TRUE(doc["skipped"].empty());
  const json& change = doc["change"];
  EXPECT_EQ(change["metric"], "processing_time");
  EXPECT_GT(change["shift_ci"][1].get<double>(), 0.30 * 0.8);  // 130 ms over 100 ms, less the process starts
  EXPECT_GT(change["shift_ci"][0].get<double>(), 0.10);
  EXPECT_LT(change["shift_ci"][0].get<double>(), 0.30);
  // Every step against the good commit: the ones before 19 good, the rest bad.
  // Each step stops once settled: from 3 runs a side (min_iterations), at
  // most 5 (iterations) when a round decides it; a 30 % step or an unchanged
  // commit is clear before 5 on all but a busy machine.
  size_t early = 0;
  for (const auto& step : doc["steps"]) {
    EXPECT_EQ(step["verdict"], commitNumber(step) >= 19 ? "bad" : "good") << step.dump();
    EXPECT_GE(step["runs"].get<int>(), 3) << step.dump();
    if (step["rounds"] == 1) EXPECT_LE(step["runs"].get<int>(), 5) << step.dump();
    early += step["runs"].get<int>() < 5;
  }
  EXPECT_GE(early, doc["steps"].size() / 2) << doc.dump(2);
  EXPECT_LT(took, 60s);
  // The progress says where it is.
  EXPECT_NE(r.err.find("step 1 of about 6"), std::string::npos) << r.err;
  expectNothingLeft(before);
}

TEST_F(Bisect, GoodAndBadWithinTheThresholdIsNothingToFind) {
  makeRepository(0.100, 0.103);
  const std::string before = userState();
  const auto r = bisect({"--threshold", "0.10"});
  EXPECT_EQ(r.exitCode, 1) << r.out << r.err;
  const json doc = parseJsonOutput(r);
  EXPECT_EQ(doc["result"], "nothing_to_find");
  EXPECT_TRUE(doc["first_bad"].is_null());
  ASSERT_EQ(doc["steps"].size(), 1u);  // only the bad end was measured
  EXPECT_EQ(doc["steps"][0]["verdict"], "good");
  expectNothingLeft(before);
}

TEST_F(Bisect, ACommitThatDoesNotBuildIsSkipped) {
  // Commit 7 lies outside the path to 19 and is never measured; commit 16 is
  // the first the search measures after the bad end, so it must be skipped.
  makeRepository(0.100, 0.130, 19, {7, 16});
  const std::string before = userState();
  const auto r = bisect({});
  ASSERT_EQ(r.exitCode, 0) << r.out << r.err;
  const json doc = parseJsonOutput(r);
  EXPECT_EQ(commitNumber(doc["first_bad"]), 19) << doc.dump(2);
  ASSERT_EQ(doc["skipped"].size(), 1u) << doc.dump(2);
  EXPECT_EQ(commitNumber(doc["skipped"][0]), 16);
  EXPECT_EQ(doc["skipped"][0]["verdict"], "build_failed");
  EXPECT_NE(doc["skipped"][0]["reason"].get<std::string>().find("broken on purpose"), std::string::npos);
  for (const auto& step : doc["steps"]) EXPECT_NE(commitNumber(step), 7);
  expectNothingLeft(before);
}

TEST_F(Bisect, ErrorsExitTwoAndSayWhatToDo) {
  makeRepository(0.01, 0.02);
  const std::string before = userState();
  auto r = run({perfctl().string(), "--config", config().string(), "bisect", "--repo", dir.path().string(), "--good",
                "a", "--bad", "b", "--scenario", "prog"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("is not a git working tree"), std::string::npos) << r.err;
  r = run({perfctl().string(), "--config", config().string(), "bisect", "--repo", repo().string(), "--good",
           hashes.front(), "--bad", "no-such-revision", "--scenario", "prog"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("--bad no-such-revision: no such commit"), std::string::npos) << r.err;
  r = run({perfctl().string(), "--config", config().string(), "bisect", "--repo", repo().string(), "--good",
           hashes.back(), "--bad", hashes.front(), "--scenario", "prog"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("is not an ancestor"), std::string::npos) << r.err;
  // Without the build the good commit has no prog: the scenario fails there.
  r = run({perfctl().string(), "--config", config().string(), "bisect", "--repo", repo().string(), "--good",
           hashes.front(), "--bad", hashes.back(), "--scenario", "prog"},
          {"TMPDIR=" + tmp.path().string()});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("fails on the good commit"), std::string::npos) << r.err;
  writeFile(config(), R"({"scenarios": [{"name": "fixed", "command": ["/bin/true"]}]})");
  r = run({perfctl().string(), "--config", config().string(), "bisect", "--repo", repo().string(), "--good",
           hashes.front(), "--bad", hashes.back(), "--scenario", "fixed"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("does not name {worktree}"), std::string::npos) << r.err;
  expectNothingLeft(before);
}

TEST_F(Bisect, CtrlCRemovesTheWorktrees) {
  makeRepository(0.100, 0.130);
  const std::string before = userState();
  std::vector<std::string> argv{perfctl().string(), "--config", config().string(), "bisect", "--repo",
                                repo().string(), "--good", hashes.front(), "--bad", hashes.back(),
                                "--scenario", "prog", "--build", "sh build.sh"};
  const pid_t pid = spawnProcess(argv, {"TMPDIR=" + tmp.path().string()}, dir / "out", dir / "err");
  // Interrupted while it measures, with worktrees checked out.
  ASSERT_TRUE(eventually([&] { return readFile(dir / "err").find("step 1 of") != std::string::npos; }, 20s))
      << readFile(dir / "err");
  ASSERT_FALSE(std::filesystem::is_empty(tmp.path()));
  ::kill(pid, SIGINT);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_NE(readFile(dir / "err").find("interrupted"), std::string::npos) << readFile(dir / "err");
  expectNothingLeft(before);
}

TEST(Versions, ChangePointsNameTheVersionsAroundThem) {
  TempDir dir;
  std::ostringstream lines;
  for (int i = 0; i < 60; ++i) {
    const bool after = i >= 30;
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "2026-11-01T%02d:%02d:00Z", i / 60, i % 60);
    json record = {{"timestamp", stamp},
                   {"scenario", "s"},
                   {"processing_time", (after ? 1.3 : 1.0) + 0.01 * ((i * 7) % 5)},
                   {"memory_usage", 10.0}};
    // Some records name no version: the nearest ones that do are named.
    if (i % 4 != 1) record["version"] = after ? "v2." + std::to_string(i) : "v1." + std::to_string(i);
    lines << record.dump() << "\n";
  }
  writeFile(dir / "h.jsonl", lines.str());
  const auto r = run({perfctl().string(), "--json", "analyze", (dir / "h.jsonl").string(), "--metric", "processing_time"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const json doc = parseJsonOutput(r);
  const json& cps = doc["results"][0]["change_points"];
  ASSERT_EQ(cps.size(), 1u) << doc.dump(2);
  EXPECT_EQ(cps[0]["index"], 30);
  EXPECT_EQ(cps[0]["version_before"], "v1.28");  // 29 names none
  EXPECT_EQ(cps[0]["version_after"], "v2.30");
  const auto text = run({perfctl().string(), "analyze", (dir / "h.jsonl").string()});
  EXPECT_NE(text.out.find("v1.28 -> v2.30"), std::string::npos) << text.out;
}

// The monitor on a repository's own checkout: versions from git, the open
// regression between two commits, and the bisect command that finds it.
TEST(Versions, AnOpenRegressionNamesItsCommitsAndTheBisectThatFindsIt) {
  TempDir dir;
  const auto repo = dir / "repo";
  std::filesystem::create_directories(repo);
  git(repo, {"init", "-q"});
  git(repo, {"config", "user.email", "test@example.org"});
  git(repo, {"config", "user.name", "Test"});
  writeFile(repo / "prog.sh", "#!/bin/sh\nexec " + workload().string() + " --sleep 0.03\n");
  std::filesystem::permissions(repo / "prog.sh", std::filesystem::perms::owner_all);
  git(repo, {"add", "prog.sh"});
  git(repo, {"commit", "-q", "-m", "fast"});
  const std::string fast = git(repo, {"rev-parse", "--short", "HEAD"});
  writeFile(repo / "prog.sh", "#!/bin/sh\nexec " + workload().string() + " --sleep 0.045\n");
  git(repo, {"commit", "-q", "-a", "-m", "slow"});
  const std::string slow = git(repo, {"rev-parse", "--short", "HEAD"});
  git(repo, {"checkout", "-q", fast});
  const auto config = dir / "config.json";
  writeFile(config, R"({"performance": {"enabled": true, "monitoring_interval": 1},
    "repository": "repo",
    "version_command": ["git", "-C", ")" + repo.string() + R"(", "rev-parse", "--short", "HEAD"],
    "scenarios": [{"name": "prog", "command": ["{worktree}/prog.sh"], "iterations": 5}]})");
  auto ctl = [&](std::vector<std::string> args) {
    std::vector<std::string> argv{perfctl().string(), "--local", "--config", config.string(), "--state-dir",
                                  (dir / "state").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, {"GIFLAB_ENABLE_PERFORMANCE_MONITORING="});
  };
  ASSERT_EQ(ctl({"baseline", "create"}).exitCode, 0);
  ASSERT_EQ(ctl({"monitor", "start", "--cycles", "2"}).exitCode, 0);
  git(repo, {"checkout", "-q", slow});
  auto r = ctl({"--json", "monitor", "start", "--cycles", "2"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const json st = parseJsonOutput(ctl({"status", "--json"}));
  ASSERT_EQ(st["open_regressions"].size(), 1u) << st.dump(2) << r.out;
  const json& open = st["open_regressions"][0];
  EXPECT_EQ(open["version_before"], fast);
  EXPECT_EQ(open["version_after"], slow);
  ASSERT_TRUE(open.contains("bisect_command")) << open.dump();
  const std::string command = open["bisect_command"];
  EXPECT_NE(command.find("bisect --repo " + repo.string() + " --good " + fast), std::string::npos) << command;
  EXPECT_NE(command.find("--bad " + slow), std::string::npos) << command;
  EXPECT_NE(command.find("--config " + config.string()), std::string::npos) << command;
  const auto text = ctl({"status"});
  EXPECT_NE(text.out.find(fast + " -> " + slow), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("Find the change in prog: giflab-perfctl"), std::string::npos) << text.out;
  ASSERT_EQ(ctl({"report", "--output", (dir / "report.html").string()}).exitCode, 0);
  EXPECT_NE(readFile(dir / "report.html").find("version " + fast + " -&gt; " + slow), std::string::npos);
  // The command as printed finds the slow commit.
  std::istringstream words(command);
  std::vector<std::string> argv;
  for (std::string w; words >> w;) argv.push_back(w);
  argv[0] = perfctl().string();
  argv.push_back("--json");
  const auto found = run(argv);
  ASSERT_EQ(found.exitCode, 0) << found.out << found.err;
  EXPECT_EQ(parseJsonOutput(found)["first_bad"]["subject"], "slow");
  // history filters by version: only the slow commit's records.
  const json h = parseJsonOutput(ctl({"history", "--json", "--days", "1", "--version", slow}));
  ASSERT_GE(h["records"].size(), 2u);
  for (const auto& rec : h["records"]) EXPECT_EQ(rec["version"], slow);
  // A version command that fails is a warning; the check still counts.
  writeFile(config, R"({"version_command": ["/bin/false"],
    "scenarios": [{"name": "prog", "command": [")" + (repo / "prog.sh").string() + R"("], "iterations": 3}]})");
  r = ctl({"--json", "ci", "check", "--threshold", "5"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  const json check = parseJsonOutput(r);
  ASSERT_TRUE(check.contains("warnings")) << check.dump(2);
  EXPECT_NE(check["warnings"][0].get<std::string>().find("version command"), std::string::npos);
  EXPECT_EQ(check["scenarios_tested"][0]["status"], "passed");
}
