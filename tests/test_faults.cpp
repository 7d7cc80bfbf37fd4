// Breaking the service on purpose: SIGKILL at random moments, a full disk, a
// read-only state folder, missing data, a hanging workload, one that escapes
// its process group, one that floods its output, and many clients at once.
// The daemon keeps answering, says what is wrong, and resumes when the fault goes.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>

#include <nlohmann/json.hpp>
#include <random>
#include <sdbus-c++/sdbus-c++.h>
#include <set>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/store/baseline.hpp"
#include "common/store/history.hpp"
#include "common/base/timeutil.hpp"
#include "tests/bus_fixture.hpp"

using namespace giflab::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

class Faults : public ::testing::Test {
 protected:
  TempDir dir;
  std::filesystem::path config() const { return dir / "config.json"; }
  std::filesystem::path state() const { return dir / "state"; }
  void SetUp() override {
    if (!haveRoot()) GTEST_SKIP() << "needs root for a system-type bus";
  }
  void writeConfig(const std::string& scenarioJson, const std::string& perf = R"("enabled": false)") {
    writeFile(config(), R"({"performance": {)" + perf + R"(}, "scenarios": [)" + scenarioJson + "]}");
  }
  std::string workloadScenario(const std::string& name, const std::string& args, int iterations = 3,
                               const std::string& extra = "") {
    std::string argv = "\"" + workload().string() + "\"";
    std::istringstream in(args);
    for (std::string a; in >> a;) argv += ", \"" + a + "\"";
    return R"({"name": ")" + name + R"(", "command": [)" + argv + R"(], "iterations": )" + std::to_string(iterations) +
           extra + "}";
  }
};

}  // namespace

TEST_F(Faults, KilledAtRandomMomentsTwoHundredTimesNoCorruptFileNoLostRecord) {
  PrivateBus bus;
  // The control is k1 itself, so that a baseline job fits between kills as
  // often as before the built-in control (30 ms a run) existed.
  writeConfig(workloadScenario("k1", "--sleep 0.002", 3) + "," + workloadScenario("k2", "--sleep 0.003", 3),
              R"("enabled": true, "monitoring_interval": 1, "control": {"scenario": "k1"})");
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> delayMs(0, 150);
  std::set<std::string> seen;  // every record read after a kill must still be there after the next
  size_t withBaselines = 0, temporaryFilesLeft = 0, roundsThatChangedFiles = 0;
  uint64_t tornLines = 0;
  std::string lastBaselines, lastHistory;
  for (int round = 0; round < 200; ++round) {
    DaemonProcess d(bus, config(), state());
    ASSERT_TRUE(d.waitReady()) << "round " << round << "\n" << d.log();
    {
      auto conn = sdbus::createSessionBusConnectionWithAddress(bus.address());
      auto proxy = sdbus::createProxy(*conn, "org.giflab.Perf1", "/org/giflab/Perf1");
      sdbus::ObjectPath job;
      proxy->callMethod(round % 2 ? "CreateBaselines" : "UpdateBaselines")
          .onInterface("org.giflab.Perf1.Manager")
          .withArguments(std::vector<std::string>{}, 3u)
          .storeResultsTo(job);
      if (round == 0) {
        // Nothing to update yet: the job fails with a named error, and the kills start from there.
        auto get = [&](const char* property) {
          return busctl(bus, {"get-property", "org.giflab.Perf1", job, "org.giflab.Perf1.Job", property}).out;
        };
        ASSERT_TRUE(eventually([&] { return get("State").find("failed") != std::string::npos; }, 10s)) << get("State");
        EXPECT_EQ(get("ErrorName"), "s \"org.giflab.Perf1.Error.NoBaselines\"\n");
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delayMs(rng)));
    d.signal(SIGKILL);
    d.waitExit(5s);
    // A kill during a baselines write leaves its temporary file behind (the
    // next start removes it once stale); the file itself is the old one or the new one.
    for (const auto& e : std::filesystem::directory_iterator(state()))
      temporaryFilesLeft += e.path().filename().string().rfind(".baselines.json.", 0) == 0;
    const auto baselines = giflab::BaselineStore(state()).load();
    withBaselines += !baselines.empty();
    const std::string baselinesText = readFile(state() / "baselines.json"), historyText = readFile(state() / "history.jsonl");
    roundsThatChangedFiles += baselinesText != lastBaselines || historyText != lastHistory;
    lastBaselines = baselinesText;
    lastHistory = historyText;
    std::set<std::string> now;
    const auto stats = giflab::readHistoryFile(state() / "history.jsonl", {}, [&](const giflab::HistoryPoint& p) {
      now.insert(p.timestamp + p.scenario + std::to_string(p.processingTime));
    });
    for (const auto& r : seen) ASSERT_TRUE(now.count(r)) << "round " << round << " lost " << r;
    // A kill can tear at most the line being appended (a write that spans a
    // page boundary can stop between pages); the next append starts afresh.
    EXPECT_LE(stats.skipped, static_cast<uint64_t>(round + 1));
    tornLines = stats.skipped;
    seen = std::move(now);
  }
  // The kills landed while the daemon was writing: most rounds changed the
  // files before their kill, so writes and kills overlapped many times.
  EXPECT_GT(roundsThatChangedFiles, 50u);
  EXPECT_GT(seen.size(), 50u);
  EXPECT_GT(withBaselines, 50u);
  RecordProperty("temporary_files_left_by_kills", static_cast<int>(temporaryFilesLeft));
  RecordProperty("torn_history_lines", static_cast<int>(tornLines));
  std::printf("kills left %zu temporary baselines files and %llu torn history lines\n", temporaryFilesLeft,
              static_cast<unsigned long long>(tornLines));
}

TEST_F(Faults, FullDiskIsReportedAndTheDaemonResumes) {
  std::filesystem::create_directories(state());
  ASSERT_EQ(::mount("tmpfs", state().c_str(), "tmpfs", 0, "size=512k"), 0) << std::strerror(errno);
  struct Unmount {
    std::filesystem::path p;
    ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } unmount{state()};
  PrivateBus bus;
  writeConfig(workloadScenario("disk", "--sleep 0.001", 3));
  DaemonProcess d(bus, config(), state());
  ASSERT_TRUE(d.waitReady()) << d.log();
  // Fill the disk.
  { std::ofstream filler(state() / "filler", std::ios::binary); std::string mb(1 << 20, 'x'); filler << mb; }
  auto r = perfctlOnBus(bus, {"baseline", "create"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("free some disk space"), std::string::npos) << r.err;
  EXPECT_EQ(perfctlOnBus(bus, {"status"}).exitCode, 0);  // still answering
  std::filesystem::remove(state() / "filler");
  r = perfctlOnBus(bus, {"baseline", "create"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_FALSE(giflab::BaselineStore(state()).load().empty());
}

TEST_F(Faults, ReadOnlyStateIsReportedAndTheDaemonResumes) {
  std::filesystem::create_directories(state());
  ASSERT_EQ(::mount("tmpfs", state().c_str(), "tmpfs", 0, "size=4m"), 0);
  struct Unmount {
    std::filesystem::path p;
    ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } unmount{state()};
  PrivateBus bus;
  writeConfig(workloadScenario("ro", "--sleep 0.001", 3));
  DaemonProcess d(bus, config(), state());
  ASSERT_TRUE(d.waitReady()) << d.log();
  ASSERT_EQ(::mount(nullptr, state().c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr), 0);
  auto r = perfctlOnBus(bus, {"baseline", "create"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--state-dir"), std::string::npos) << r.err;
  EXPECT_EQ(perfctlOnBus(bus, {"status"}).exitCode, 0);
  ASSERT_EQ(::mount(nullptr, state().c_str(), nullptr, MS_REMOUNT, nullptr), 0);
  EXPECT_EQ(perfctlOnBus(bus, {"baseline", "create"}).exitCode, 0);
}

TEST_F(Faults, MissingDataFilesAreNamedAndPickedUpWhenTheyAppear) {
  PrivateBus bus;
  writeConfig(R"({"name": "data", "command": [")" + workload().string() + R"(", "--write", "{output}"],
                 "data_pattern": ")" + (dir / "in_*.gif").string() + R"(", "expected_files": 2, "iterations": 3})");
  DaemonProcess d(bus, config(), state());
  ASSERT_TRUE(d.waitReady()) << d.log();
  auto r = perfctlOnBus(bus, {"baseline", "create"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("in_*.gif matched 0 files, expected at least 2"), std::string::npos) << r.err;
  r = perfctlOnBus(bus, {"deps", "check", "--verbose"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.out.find("matched 0 files"), std::string::npos) << r.out;
  writeFile(dir / "in_1.gif", "a");
  writeFile(dir / "in_2.gif", "b");
  EXPECT_EQ(perfctlOnBus(bus, {"baseline", "create"}).exitCode, 0);
}

TEST_F(Faults, HangingEscapingAndFloodingWorkloads) {
  PrivateBus bus;
  writeConfig(workloadScenario("hangs", "--sleep 60", 3, R"(, "timeout": 1)") + "," +
              workloadScenario("escapes", "--escape-sleeper 34", 3) + "," +
              workloadScenario("floods", "--flood 20", 3));
  DaemonProcess d(bus, config(), state());
  ASSERT_TRUE(d.waitReady()) << d.log();
  std::thread job([&] {
    const auto r = perfctlOnBus(bus, {"--json", "baseline", "create"});
    const json j = parseJsonOutput(r);
    ASSERT_EQ(j["errors"].size(), 1u) << r.out;
    EXPECT_EQ(j["errors"][0]["scenario"], "hangs");
    EXPECT_NE(j["errors"][0]["error"].get<std::string>().find("timed out after 1 s"), std::string::npos);
    EXPECT_EQ(j["baselines"].size(), 2u);  // the others went on
  });
  // The bus keeps answering while the hanging run waits for its timeout:
  // answers that come while the hanging child still runs.
  ASSERT_TRUE(eventually([&] { return processRunning("giflab-test-workload --sleep 60"); }, 10s));
  int answeredDuringTheHang = 0;
  for (int i = 0; i < 5; ++i) {
    const bool ok = perfctlOnBus(bus, {"status"}).exitCode == 0;
    if (ok && processRunning("giflab-test-workload --sleep 60")) ++answeredDuringTheHang;
  }
  EXPECT_GE(answeredDuringTheHang, 1);
  job.join();
  EXPECT_NE(run({"/usr/bin/pgrep", "-f", "giflab-test-workload --escape-sleeper 34"}).exitCode, 0) << "an escaped child survived";
  EXPECT_NE(run({"/usr/bin/pgrep", "-f", "giflab-test-workload --sleep 60"}).exitCode, 0) << "the hanging run survived";
  // The flood went nowhere: the daemon stayed small.
  const std::string status = readFile("/proc/" + std::to_string(d.pid()) + "/status");
  const auto pos = status.find("VmHWM:");
  ASSERT_NE(pos, std::string::npos);
  EXPECT_LT(std::stol(status.substr(pos + 6)), 64L * 1024) << "peak RSS in kB";
}

TEST_F(Faults, TheBusGoingAwayStopsTheJobAndExitsForARestart) {
  auto bus = std::make_unique<PrivateBus>();
  writeConfig(workloadScenario("lost_bus", "--sleep 41", 3));
  DaemonProcess d(*bus, config(), state());
  ASSERT_TRUE(d.waitReady()) << d.log();
  std::thread job([&] { perfctlOnBus(*bus, {"baseline", "create"}); });  // its answer never comes
  struct Join {
    std::thread& t;
    ~Join() { t.join(); }  // the client ends with its bus, whatever the test found
  } joinJob{job};
  ASSERT_TRUE(eventually([&] { return processRunning("giflab-test-workload --sleep 41"); }, 10s));
  bus.reset();  // kills the dbus-daemon
  // Non-zero, so that Restart=on-failure starts it again; not an abort.
  EXPECT_EQ(d.waitExit(10s), 1) << d.log();
  EXPECT_NE(d.log().find("Lost the connection to the system bus"), std::string::npos) << d.log();
  EXPECT_EQ(d.log().find("terminate called"), std::string::npos) << d.log();
  EXPECT_TRUE(eventually([&] { return !processRunning("giflab-test-workload --sleep 41"); }, 5s))
      << "the job's workload outlived its daemon";
}

TEST_F(Faults, SixteenClientsForTenSecondsDuringABaselineJob) {
  PrivateBus bus;
  writeConfig(workloadScenario("long", "--sleep 0.2", 3));
  DaemonProcess d(bus, config(), state());
  ASSERT_TRUE(d.waitReady()) << d.log();
  std::thread job([&] { perfctlOnBus(bus, {"baseline", "create", "--iterations", "150"}); });
  ASSERT_TRUE(eventually([&] { return processRunning("giflab-test-workload --sleep 0.2"); }, 10s));
  // How fast the answers come is bench/run.sh's business (latency and
  // throughput rows); here every call of every client must be answered.
  std::vector<long> calls(16, 0), errors(16, 0);
  std::vector<std::thread> clients;
  const auto end = std::chrono::steady_clock::now() + 10s;
  for (int c = 0; c < 16; ++c)
    clients.emplace_back([&, c] {
      auto conn = sdbus::createSessionBusConnectionWithAddress(bus.address());
      auto proxy = sdbus::createProxy(*conn, "org.giflab.Perf1", "/org/giflab/Perf1");
      std::string s;
      for (long i = 0; std::chrono::steady_clock::now() < end; ++i) {
        try {
          if ((i + c) % 2)
            proxy->callMethod("GetHistory").onInterface("org.giflab.Perf1.Manager")
                .withArguments(std::string(""), std::string(""), 1u, false, false).storeResultsTo(s);
          else
            proxy->callMethod("GetStatus").onInterface("org.giflab.Perf1.Manager").withArguments(false).storeResultsTo(s);
          ++calls[static_cast<size_t>(c)];
        } catch (const sdbus::Error&) {
          ++errors[static_cast<size_t>(c)];
        }
      }
    });
  for (auto& t : clients) t.join();
  // Between the workload's runs the control runs, so ask the daemon, not ps.
  bool jobRunning = false;
  const json st = parseJsonOutput(perfctlOnBus(bus, {"status", "--json"}));
  for (const auto& j : st["jobs"]) jobRunning |= j["state"] == "running";
  EXPECT_TRUE(jobRunning) << "the job ended before the clients did: " << st["jobs"].dump();
  d.signal(SIGTERM);  // ends the long job too
  job.join();
  for (size_t c = 0; c < calls.size(); ++c) {
    EXPECT_EQ(errors[c], 0) << "client " << c;
    EXPECT_GT(calls[c], 0) << "client " << c;
  }
}

TEST_F(Faults, AWallClockJumpNeitherStopsNorFloodsTheSchedule) {
  const std::filesystem::path lib = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";
  if (!std::filesystem::exists(lib)) GTEST_SKIP() << "faketime is not installed";
  if (std::getenv("ASAN_OPTIONS")) GTEST_SKIP() << "libfaketime cannot be preloaded before the ASan runtime";
  PrivateBus bus;
  // 50 ms runs: process start-up noise stays far below the 10 % threshold, so
  // any alert after the jumps would be the clock's fault.
  writeConfig(workloadScenario("clock", "--sleep 0.05", 3), R"("enabled": true, "monitoring_interval": 1)");
  const auto clockFile = dir / "clock";
  writeFile(clockFile, "+0\n");
  // Only the daemon's wall clock moves; its schedule runs on the monotonic clock.
  DaemonProcess d(bus, config(), state(),
                  {"LD_PRELOAD=" + lib.string(), "FAKETIME_TIMESTAMP_FILE=" + clockFile.string(), "FAKETIME_NO_CACHE=1",
                   "FAKETIME_DONT_FAKE_MONOTONIC=1"});
  ASSERT_TRUE(d.waitReady()) << d.log();
  ASSERT_EQ(perfctlOnBus(bus, {"baseline", "create"}).exitCode, 0);
  auto cycles = [&] { return parseJsonOutput(perfctlOnBus(bus, {"--json", "status"}))["monitor"]["cycles"].get<int>(); };
  // The raw last line: readers skip records stamped more than a day ahead of
  // their own clock, and this test's clock is not the daemon's.
  auto lastTimestamp = [&] {
    std::ifstream in(state() / "history.jsonl");
    std::string line, last;
    while (std::getline(in, line))
      if (!line.empty()) last = line;
    return *giflab::parseIso8601(nlohmann::json::parse(last).at("timestamp").get<std::string>());
  };
  ASSERT_TRUE(eventually([&] { return cycles() >= 2; }, 10s));
  for (const char* jump : {"+3d", "-2d"}) {
    writeFile(clockFile, std::string(jump) + "\n");
    const int before = cycles();
    EXPECT_TRUE(eventually([&] { return cycles() >= before + 2; }, 20s)) << "the schedule stopped after a jump of " << jump;
    // At a 1 s interval, 3 s hold at most 4 cycles; a schedule on the wall clock would run them back to back.
    const int from = cycles();
    std::this_thread::sleep_for(3s);
    EXPECT_LE(cycles() - from, 4) << "the schedule ran wild after a jump of " << jump;
    const double offsetDays = std::chrono::duration<double>(lastTimestamp() - std::chrono::system_clock::now()).count() / 86400;
    EXPECT_NEAR(offsetDays, std::string(jump) == "+3d" ? 3.0 : -2.0, 0.1) << "records follow the wall clock";
  }
  EXPECT_TRUE(d.running());
  EXPECT_TRUE(parseJsonOutput(perfctlOnBus(bus, {"--json", "status"}))["open_regressions"].empty());
}
