// The runner against the truth: a workload that sleeps a known time and
// touches a known amount of memory.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <functional>
#include <optional>
#include <thread>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>

#include "common/measure/blocking.hpp"
#include "common/store/config.hpp"
#include "common/base/error.hpp"
#include "common/measure/runner.hpp"
#include "common/measure/scenario_runner.hpp"
#include "common/measure/version_probe.hpp"
#include "tests/test_support.hpp"

using namespace giflab;
using namespace giflab::test;
using namespace std::chrono_literals;

TEST(Runner, MeasuresWallTimeOfTheWorkload) {
  const auto r = runCommand({workload().string(), "--sleep", "0.2"}, 10s);
  ASSERT_TRUE(r.succeeded()) << r.describeFailure("workload", 10);
  EXPECT_GE(r.wallSeconds, 0.2);  // how close to 0.2 is bench/run.sh's fidelity row
  EXPECT_LT(r.userSeconds, 0.1);  // sleeping uses no CPU
}

TEST(Runner, MeasuresCpuTimeOfACpuBoundWorkload) {
  const auto r = runCommand({workload().string(), "--work", "150"}, 30s);
  ASSERT_TRUE(r.succeeded()) << r.describeFailure("workload", 30);
  // Computing, unlike sleeping, takes CPU time, and never more than its wall time on one thread.
  EXPECT_GT(r.userSeconds, 0.05);
  EXPECT_LE(r.userSeconds + r.systemSeconds, r.wallSeconds + 0.02);
}

TEST(Runner, MeasuresPeakMemoryOfTheWorkloadNotOurs) {
  // This test process holds a large block; the workload's figure must not include it.
  std::vector<char> ballast(300u << 20);
  for (size_t i = 0; i < ballast.size(); i += 4096) ballast[i] = 1;
  const auto small = runCommand({workload().string()}, 10s);
  const auto big = runCommand({workload().string(), "--alloc-mb", "64"}, 10s);
  ASSERT_TRUE(small.succeeded());
  ASSERT_TRUE(big.succeeded());
  EXPECT_LT(small.maxRssMb, 10.0);
  EXPECT_GT(big.maxRssMb, 64.0);
  EXPECT_LT(big.maxRssMb, 64.0 + 12.0);
  EXPECT_NEAR(big.maxRssMb - small.maxRssMb, 64.0, 4.0);
  EXPECT_EQ(ballast[4096], 1);
}

TEST(Runner, ReportsExitCodeAndTheLastLinesOfStderr) {
  const auto r = runCommand({workload().string(), "--stderr", "first", "--stderr", "gifsicle: bad input", "--exit", "3"}, 10s);
  EXPECT_FALSE(r.succeeded());
  EXPECT_EQ(r.exitCode, 3);
  const std::string d = r.describeFailure("gifsicle", 10);
  EXPECT_NE(d.find("exit code 3"), std::string::npos) << d;
  EXPECT_NE(d.find("gifsicle: bad input"), std::string::npos) << d;
}

TEST(Runner, ReportsASignal) {
  const auto r = runCommand({workload().string(), "--signal", std::to_string(SIGSEGV)}, 10s);
  EXPECT_EQ(r.signal, SIGSEGV);
  EXPECT_NE(r.describeFailure("w", 10).find("signal 11"), std::string::npos);
}

TEST(Runner, ReportsAMissingProgram) {
  const auto r = runCommand({"giflab-no-such-program"}, 10s);
  EXPECT_EQ(r.execErrno, ENOENT);
  const std::string d = r.describeFailure("giflab-no-such-program", 10);
  EXPECT_NE(d.find("cannot run giflab-no-such-program"), std::string::npos) << d;
  EXPECT_NE(d.find("installed"), std::string::npos) << d;
}

TEST(Runner, AScriptWithoutAnInterpreterLineSaysWhatToDo) {
  // Run without a shell, as the contract says: no /bin/sh fallback.
  TempDir tmp;
  const auto script = tmp / "no-shebang";
  writeFile(script, "echo hello\n");
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  const auto r = runCommand({script.string()}, 10s);
  EXPECT_EQ(r.execErrno, ENOEXEC);
  const std::string d = r.describeFailure(script.string(), 10);
  EXPECT_NE(d.find("#! line"), std::string::npos) << d;
}

TEST(Runner, TimeoutKillsTheWholeProcessGroup) {
  TempDir tmp;
  // The workload leaves a child that would sleep for 30 s in its group.
  const auto start = std::chrono::steady_clock::now();
  const auto r = runCommand({workload().string(), "--spawn-sleeper", "31", "--sleep", "30"}, 0.5s);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(r.timedOut);
  EXPECT_LT(took, 5s);
  EXPECT_NE(r.describeFailure("w", 0.5).find("timed out after 0.5 s"), std::string::npos);
  // No process of the test workload is left behind.
  // Killed processes vanish once reaped, which can take a moment.
  EXPECT_TRUE(eventually([] { return !processRunning("giflab-test-workload --spawn-sleeper 31"); }, 5s)) << "left behind";
}

TEST(Runner, ALeftoverChildIsKilledWhenTheWorkloadExits) {
  const auto r = runCommand({workload().string(), "--spawn-sleeper", "32"}, 10s);
  EXPECT_TRUE(r.succeeded());
  // Killed processes vanish once reaped, which can take a moment.
  EXPECT_TRUE(eventually([] { return !processRunning("giflab-test-workload --spawn-sleeper 32"); }, 5s)) << "left behind";
}

TEST(Runner, AChildThatLeavesTheProcessGroupIsKilledToo) {
  const auto r = runCommand({workload().string(), "--escape-sleeper", "33"}, 10s);
  EXPECT_TRUE(r.succeeded());
  // Killed processes vanish once reaped, which can take a moment.
  EXPECT_TRUE(eventually([] { return !processRunning("giflab-test-workload --escape-sleeper 33"); }, 5s)) << "left behind";
}

TEST(Runner, AFloodOfOutputDoesNotBlock) {
  const auto r = runCommand({workload().string(), "--flood", "20"}, 20s);
  EXPECT_TRUE(r.succeeded());
  EXPECT_LE(r.stderrTail.size(), 8192u);
}

TEST(Runner, CancellationStopsTheRun) {
  std::atomic<bool> cancel{false};
  std::thread t([&] {
    std::this_thread::sleep_for(200ms);
    cancel = true;
  });
  const auto start = std::chrono::steady_clock::now();
  const auto r = runCommand({workload().string(), "--sleep", "30"}, 60s, &cancel);
  t.join();
  EXPECT_TRUE(r.cancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 20s);  // far from the 30 s it would have run
}

TEST(Cancellation, TheStopperRunsOnceAndOnlyWhileRegistered) {
  Cancellation cancel;
  int stops = 0;
  {
    const auto registration = cancel.onRequest([&] { ++stops; });
  }
  Cancellation copy = cancel;  // copies share one state
  {
    const auto registration = copy.onRequest([&] { stops += 10; });
    cancel.request();
    cancel.request();
  }
  EXPECT_EQ(stops, 10);
  EXPECT_TRUE(copy.requested());
  EXPECT_THROW(copy.throwIfRequested(), Error);
  // Registering after the request stops at once.
  const auto late = cancel.onRequest([&] { stops += 100; });
  EXPECT_EQ(stops, 110);
}

// The daemon's design: the loop that waits for a child is free for other
// work (the bus) meanwhile, and a cancel made on it kills the child at once.
TEST(Runner, TheLoopServesOtherWorkWhileItWaitsForAChild) {
  asio::io_context io;
  std::optional<CommandOutcome> outcome;
  asio::co_spawn(io, measureCommand({workload().string(), "--sleep", "0.5"}, 10s, Cancellation{}),
                 [&](std::exception_ptr e, CommandOutcome o) {
                   ASSERT_FALSE(e);
                   outcome = o;
                 });
  int ticks = 0;
  asio::steady_timer tick(io);
  std::function<void()> arm = [&] {
    tick.expires_after(20ms);
    tick.async_wait([&](const asio::error_code& ec) {
      if (ec || outcome) return;
      ++ticks;
      arm();
    });
  };
  arm();
  io.run();
  ASSERT_TRUE(outcome);
  EXPECT_TRUE(outcome->succeeded()) << outcome->stderrTail;
  EXPECT_GE(outcome->wallSeconds, 0.5);
  // A loop blocked in the child's wait would give none.
  EXPECT_GE(ticks, 1);
}

TEST(Runner, ACancelOnTheLoopEndsTheRunAsCancelled) {
  asio::io_context io;
  Cancellation cancel;
  std::optional<CommandOutcome> outcome;
  const auto start = std::chrono::steady_clock::now();
  asio::co_spawn(io, measureCommand({workload().string(), "--spawn-sleeper", "34", "--sleep", "30"}, 60s, cancel),
                 [&](std::exception_ptr e, CommandOutcome o) {
                   ASSERT_FALSE(e);
                   outcome = o;
                 });
  asio::steady_timer later(io);
  later.expires_after(200ms);
  later.async_wait([&](const asio::error_code&) { cancel.request(); });
  io.run();
  ASSERT_TRUE(outcome);
  EXPECT_TRUE(outcome->cancelled);
  EXPECT_FALSE(outcome->succeeded());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  // The whole group went, the sleeper it started too.
  // Killed processes vanish once reaped, which can take a moment.
  EXPECT_TRUE(eventually([] { return !processRunning("giflab-test-workload --spawn-sleeper 34"); }, 5s)) << "left behind";
}

TEST(ScenarioRunner, PlaceholdersInputsAndOutputs) {
  TempDir tmp;
  writeFile(tmp / "a_1.gif", "x");
  writeFile(tmp / "a_2.gif", "y");
  writeFile(tmp / "b.gif", "z");
  Scenario s;
  s.name = "t";
  s.command = {"/bin/echo", "{input}", "{output}", "frames={max_frames}"};
  s.data_pattern = (tmp / "a_*.gif").string();
  s.expected_files = 2;
  s.max_frames = 7;
  const auto inputs = resolveInputs(s);
  ASSERT_EQ(inputs.size(), 2u);
  EXPECT_EQ(inputs[0], (tmp / "a_1.gif").string());
  const auto argv = expandCommand(s, inputs[1], "/tmp/o.gif");
  EXPECT_EQ(argv, (std::vector<std::string>{"/bin/echo", inputs[1], "/tmp/o.gif", "frames=7"}));
  s.expected_files = 3;
  try {
    resolveInputs(s);
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(s.data_pattern), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("matched 2 files, expected at least 3"), std::string::npos);
  }
}

TEST(ScenarioRunner, RunsPerInputAndRemovesOutputs) {
  TempDir tmp;
  writeFile(tmp / "in_1.txt", "");
  writeFile(tmp / "in_2.txt", "");
  Scenario s;
  s.name = "two";
  s.command = {workload().string(), "--sleep", "0.05", "--write", "{output}"};
  s.data_pattern = (tmp / "in_*.txt").string();
  s.expected_files = 2;
  s.warmup = 1;
  setenv("TMPDIR", tmp.path().c_str(), 1);
  const auto m = runBlocking([&](Cancellation c) { return runInterleaved({{&s, 3}}, c, {}); });
  unsetenv("TMPDIR");
  ASSERT_FALSE(m[0].error) << *m[0].error;
  ASSERT_EQ(m[0].samples.size(), 3u);
  for (const auto& x : m[0].samples) {
    EXPECT_GE(x.processingTime, 0.1);  // two inputs of 0.05 s each
  }
  // Only the inputs are left: scratch folder and outputs are gone.
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(tmp.path())) (void)e, ++entries;
  EXPECT_EQ(entries, 2);
}

TEST(ScenarioRunner, AFailingScenarioStopsOnlyItself) {
  Scenario ok, bad;
  ok.name = "ok";
  ok.command = {workload().string()};
  ok.expected_files = 0;
  bad.name = "bad";
  bad.command = {workload().string(), "--stderr", "broken", "--exit", "2"};
  bad.expected_files = 0;
  const auto m = runBlocking([&](Cancellation c) { return runInterleaved({{&ok, 3}, {&bad, 3}}, c, {}); });
  EXPECT_FALSE(m[0].error);
  EXPECT_EQ(m[0].samples.size(), 3u);
  ASSERT_TRUE(m[1].error);
  EXPECT_NE(m[1].error->find("scenario bad"), std::string::npos);
  EXPECT_NE(m[1].error->find("exit code 2"), std::string::npos);
  EXPECT_NE(m[1].error->find("broken"), std::string::npos);
}

TEST(ScenarioRunner, InterleavesRunByRun) {
  TempDir tmp;
  const auto log = tmp / "order.log";
  Scenario a, b;
  a.name = "a";
  a.command = {"/bin/sh", "-c", "echo a >> " + log.string()};
  a.expected_files = 0;
  a.warmup = 0;
  b = a;
  b.name = "b";
  b.command = {"/bin/sh", "-c", "echo b >> " + log.string()};
  runBlocking([&](Cancellation c) { return runInterleaved({{&a, 3}, {&b, 3}}, c, {}); });
  EXPECT_EQ(readFile(log), "a\nb\na\nb\na\nb\n");
}

TEST(Runner, StdoutIsCapturedOnlyWhenAskedAndUpToItsLimit) {
  TempDir dir;
  CommandOptions options;
  options.captureStdoutBytes = 8;
  options.workingDirectory = dir.path();
  // A command that writes far more than the pipe holds still ends: the rest is drained.
  auto r = runCommand({"/bin/sh", "-c", "pwd; head -c 1000000 /dev/zero"}, 10s, nullptr, options);
  ASSERT_TRUE(r.succeeded()) << r.describeFailure("sh", 10);
  EXPECT_EQ(r.stdoutHead, dir.path().string().substr(0, 8));
  r = runCommand({"/bin/echo", "hello"}, 10s);
  EXPECT_TRUE(r.stdoutHead.empty());
}

TEST(Runner, AVersionIsTheFirstNonEmptyLineMadePrintable) {
  EXPECT_EQ(versionLine("\n  \ngifsicle 1.93\nCopyright\n"), "gifsicle 1.93");
  EXPECT_EQ(versionLine("  v1.2-3-gabc1234-dirty \r\n"), "v1.2-3-gabc1234-dirty");
  EXPECT_EQ(versionLine("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
  EXPECT_EQ(versionLine(""), "");
  EXPECT_EQ(versionLine(std::string(500, 'x')).size(), kMaxVersionLength);
  // Never half a character at the cut.
  const std::string cut = versionLine(std::string(199, 'x') + "\xc3\xa9" + "tail");
  EXPECT_EQ(cut, std::string(199, 'x'));
}

namespace {

// Runs body() to its end on a loop of its own. The runs of one session must
// share a loop, as a check's runs do in the daemon.
template <class Body>
void onOneLoop(Body&& body) {
  asio::io_context io;
  std::exception_ptr failure;
  asio::co_spawn(io, body(), [&](std::exception_ptr e) { failure = e; });
  io.run();
  if (failure) std::rethrow_exception(failure);
}

// A run that names the process that started it: the session's helper.
const std::vector<std::string> kTellHelper{"/bin/sh", "-c", "echo helper=$PPID >&2"};

int helperPid(const CommandOutcome& o) {
  const auto at = o.stderrTail.find("helper=");
  return at == std::string::npos ? 0 : std::atoi(o.stderrTail.c_str() + at + 7);
}

}  // namespace

TEST(MeasuringSession, RunsEveryCommandThroughOneHelperAndKeepsEachRunsStderrApart) {
  std::vector<CommandOutcome> out;
  onOneLoop([&]() -> asio::awaitable<void> {
    MeasuringSession session;
    out.push_back(co_await session.run(kTellHelper, 10s, Cancellation{}));
    const std::vector<std::string> failing{workload().string(), "--stderr", "second run", "--exit", "3"};
    out.push_back(co_await session.run(failing, 10s, Cancellation{}));
    out.push_back(co_await session.run(kTellHelper, 10s, Cancellation{}));
  });
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(out[0].succeeded()) << out[0].stderrTail;
  EXPECT_EQ(out[1].exitCode, 3);
  EXPECT_NE(out[1].stderrTail.find("second run"), std::string::npos) << out[1].stderrTail;
  EXPECT_EQ(out[1].stderrTail.find("helper="), std::string::npos) << "the first run's stderr: " << out[1].stderrTail;
  EXPECT_EQ(out[2].stderrTail.find("second run"), std::string::npos) << out[2].stderrTail;
  EXPECT_GT(helperPid(out[0]), 1);
  // A failing workload does not cost the helper.
  EXPECT_EQ(helperPid(out[0]), helperPid(out[2]));
}

TEST(MeasuringSession, ARunThatTimesOutTakesItsHelperAndTheNextRunGetsAnother) {
  std::vector<CommandOutcome> out;
  onOneLoop([&]() -> asio::awaitable<void> {
    MeasuringSession session;
    out.push_back(co_await session.run(kTellHelper, 10s, Cancellation{}));
    const std::vector<std::string> lingering{workload().string(), "--spawn-sleeper", "35", "--sleep", "30"};
    out.push_back(co_await session.run(lingering, 0.3s, Cancellation{}));
    out.push_back(co_await session.run(kTellHelper, 10s, Cancellation{}));
  });
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(out[1].timedOut);
  EXPECT_TRUE(out[2].succeeded()) << out[2].stderrTail;
  EXPECT_GT(helperPid(out[2]), 1);
  EXPECT_NE(helperPid(out[0]), helperPid(out[2]));
  EXPECT_TRUE(eventually([] { return !processRunning("giflab-test-workload --spawn-sleeper 35"); }, 5s)) << "left behind";
}

TEST(MeasuringSession, AHelperKilledBetweenRunsIsReplaced) {
  std::vector<CommandOutcome> out;
  onOneLoop([&]() -> asio::awaitable<void> {
    MeasuringSession session;
    out.push_back(co_await session.run(kTellHelper, 10s, Cancellation{}));
    const int pid = helperPid(out[0]);
    if (pid <= 1) co_return;
    ::kill(pid, SIGKILL);
    // Dead (a zombie until the session reaps it), whether or not the loop has seen it yet.
    EXPECT_TRUE(eventually(
        [pid] { return readFile("/proc/" + std::to_string(pid) + "/stat").find(") Z") != std::string::npos; }, 5s));
    out.push_back(co_await session.run(kTellHelper, 10s, Cancellation{}));
  });
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[1].succeeded()) << out[1].stderrTail;
  EXPECT_GT(helperPid(out[1]), 1);
  EXPECT_NE(helperPid(out[0]), helperPid(out[1]));
}

TEST(MeasuringSession, OneRunsPeakMemoryDoesNotCarryIntoTheNext) {
  std::vector<CommandOutcome> out;
  onOneLoop([&]() -> asio::awaitable<void> {
    MeasuringSession session;
    const std::vector<std::string> big{workload().string(), "--alloc-mb", "64"};
    out.push_back(co_await session.run(big, 10s, Cancellation{}));
    const std::vector<std::string> small{workload().string()};
    out.push_back(co_await session.run(small, 10s, Cancellation{}));
  });
  ASSERT_EQ(out.size(), 2u);
  ASSERT_TRUE(out[0].succeeded() && out[1].succeeded());
  EXPECT_GT(out[0].maxRssMb, 64.0);
  EXPECT_LT(out[1].maxRssMb, 10.0);
}

TEST(MeasuringSession, ACancelledRunLeavesTheSessionUsable) {
  std::vector<CommandOutcome> out;
  onOneLoop([&]() -> asio::awaitable<void> {
    MeasuringSession session;
    Cancellation cancel;
    asio::steady_timer later(co_await asio::this_coro::executor);
    later.expires_after(200ms);
    later.async_wait([cancel](const asio::error_code&) { cancel.request(); });
    const std::vector<std::string> sleeping{workload().string(), "--sleep", "30"};
    out.push_back(co_await session.run(sleeping, 60s, cancel));
    out.push_back(co_await session.run(kTellHelper, 10s, Cancellation{}));
  });
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[0].cancelled);
  EXPECT_TRUE(out[1].succeeded()) << out[1].stderrTail;
}
