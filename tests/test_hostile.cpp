// What a hostile user or workload does to the daemon and the CLI: bytes
// that are not UTF-8, binary garbage for a config, tampered state files,
// impossible arguments, huge arguments, terminal escapes, a full disk. Each
// test reproduces one way the daemon crashed, hung or was fooled.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <utime.h>

#include <nlohmann/json.hpp>
#include <random>
#include <sdbus-c++/sdbus-c++.h>
#include <sstream>
#include <thread>

#include "tests/bus_fixture.hpp"

using namespace giflab::test;
using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kManager = "org.giflab.Perf1.Manager";
constexpr const char* kJob = "org.giflab.Perf1.Job";

// What a job ended as: its properties once it is no longer queued or running.
struct JobEnd {
  std::string state, result, errorName, errorMessage;
};

JobEnd waitForJob(sdbus::IConnection& conn, const sdbus::ObjectPath& path, std::chrono::seconds timeout) {
  auto job = sdbus::createProxy(conn, "org.giflab.Perf1", path);
  JobEnd end;
  eventually(
      [&] {
        end.state = job->getProperty("State").onInterface(kJob).get<std::string>();
        return end.state != "queued" && end.state != "running";
      },
      timeout);
  end.result = job->getProperty("Result").onInterface(kJob).get<std::string>();
  end.errorName = job->getProperty("ErrorName").onInterface(kJob).get<std::string>();
  end.errorMessage = job->getProperty("ErrorMessage").onInterface(kJob).get<std::string>();
  return end;
}

bool isValidUtf8(const std::string& s) {
  // nlohmann refuses to dump invalid UTF-8 with the strict handler.
  try {
    (void)json(s).dump();
    return true;
  } catch (const json::exception&) {
    return false;
  }
}

class HostileDaemon : public ::testing::Test {
 protected:
  TempDir dir;
  fs::path config() const { return dir / "config.json"; }
  fs::path state() const { return dir / "state"; }

  void SetUp() override {
    if (!haveRoot()) GTEST_SKIP() << "needs root for a system-type bus";
    fs::permissions(dir.path(), fs::perms::all);
  }
  void writeSleepConfig(double seconds, const std::string& performance = R"("enabled": false)") {
    writeFile(config(), R"({"performance": {)" + performance + R"(},
      "scenarios": [{"name": "sleepy", "command": [")" + workload().string() + R"(", "--sleep", ")" +
                            std::to_string(seconds) + R"("], "iterations": 3}]})");
  }
};

class HostileCli : public ::testing::Test {
 protected:
  TempDir dir;
  fs::path config() const { return dir / "config.json"; }
  fs::path state() const { return dir / "state"; }
  void SetUp() override {
    writeFile(config(), R"({"scenarios": [{"name": "sleepy", "command": [")" + workload().string() +
                            R"(", "--sleep", "0.01"], "iterations": 3}]})");
  }
  ProcessResult ctl(std::vector<std::string> args) {
    std::vector<std::string> argv{perfctl().string(), "--local", "--config", config().string(), "--state-dir",
                                  state().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, {"NO_COLOR=1", "GIFLAB_ENABLE_PERFORMANCE_MONITORING="});
  }
};

}  // namespace

// A real case: gifsicle names a corrupt GIF whose file name is Latin-1, so
// its stderr is not UTF-8. sdbus-c++ refused to send the job's error and the
// daemon ended in std::terminate; a cycle failed with "invalid UTF-8 byte".
TEST_F(HostileDaemon, InvalidUtf8FromAFailingWorkloadNeitherKillsTheDaemonNorHidesTheError) {
  fs::create_directories(dir / "data");
  writeFile(dir / "data" / "caf\xe9.gif", "this is not a GIF\n");
  writeFile(config(), R"({"performance": {"enabled": false},
    "scenarios": [{"name": "latin1", "command": ["gifsicle", "-O3", "{input}", "-o", "{output}"],
                   "data_pattern": "data/*.gif", "iterations": 3}]})");
  PrivateBus bus;
  DaemonProcess d(bus, config(), state());
  ASSERT_TRUE(d.waitReady()) << d.log();

  const auto r = perfctlOnBus(bus, {"baseline", "create"});
  EXPECT_EQ(r.exitCode, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("caf\\xe9.gif"), std::string::npos) << r.err;  // the byte, shown
  EXPECT_NE(r.err.find("gifsicle"), std::string::npos) << r.err;
  EXPECT_TRUE(isValidUtf8(r.err)) << r.err;
  ASSERT_TRUE(d.running()) << d.log();
  EXPECT_EQ(perfctlOnBus(bus, {"status"}).exitCode, 0);

  // A monitoring cycle names the real error, not a JSON encoding failure.
  auto conn = sdbus::createSessionBusConnectionWithAddress(bus.address());
  auto proxy = sdbus::createProxy(*conn, "org.giflab.Perf1", "/org/giflab/Perf1");
  sdbus::ObjectPath job;
  proxy->callMethod("RunCycle").onInterface(kManager).storeResultsTo(job);
  const JobEnd end = waitForJob(*conn, job, 30s);
  ASSERT_EQ(end.state, "succeeded") << end.errorName << ": " << end.errorMessage << d.log();
  const json result = json::parse(end.result);
  const auto& tested = result.at("scenarios_tested");
  ASSERT_EQ(tested.size(), 1u) << end.result;
  EXPECT_EQ(tested[0]["status"], "error");
  const std::string error = tested[0]["error"];
  EXPECT_NE(error.find("caf\\xe9.gif"), std::string::npos) << error;
  EXPECT_EQ(error.find("UTF-8"), std::string::npos) << error;
  EXPECT_TRUE(d.running()) << d.log();
}

// The config's error text carried the garbage's bytes, so the error reply
// could not be sent and every client waited 25 s for nothing.
TEST_F(HostileDaemon, ReloadWithABinaryGarbageConfigAnswersAConfigError) {
  writeSleepConfig(0.01);
  PrivateBus bus;
  DaemonProcess d(bus, config(), state());
  ASSERT_TRUE(d.waitReady()) << d.log();
  std::mt19937 rng(11);
  std::string garbage = "{\"performance\": \"";
  for (int i = 0; i < 4096; ++i) garbage += static_cast<char>(rng() % 256);
  writeFile(config(), garbage);
  auto conn = sdbus::createSessionBusConnectionWithAddress(bus.address());
  auto proxy = sdbus::createProxy(*conn, "org.giflab.Perf1", "/org/giflab/Perf1");
  std::string name, message;
  try {
    proxy->callMethod("Reload").onInterface(kManager).withTimeout(5s);
  } catch (const sdbus::Error& e) {
    name = e.getName();
    message = e.getMessage();
  }
  EXPECT_EQ(name, "org.giflab.Perf1.Error.Config") << message;
  EXPECT_NE(message.find(config().string()), std::string::npos) << message;
  EXPECT_NE(message.find("not valid JSON"), std::string::npos) << message;
  EXPECT_TRUE(isValidUtf8(message));
  EXPECT_TRUE(d.running());
  // The running config stays.
  EXPECT_EQ(parseJsonOutput(perfctlOnBus(bus, {"status", "--json"}))["scenarios"][0]["name"], "sleepy");
}

// 0 means "the scenario's own count" on the bus, so --iterations 0 replaced
// the baselines with the default count and said nothing; --local refused it.
TEST_F(HostileDaemon, IterationsTheLocalPathRefusesAreRefusedBeforeCallingTheDaemon) {
  writeSleepConfig(0.01);
  PrivateBus bus;
  DaemonProcess d(bus, config(), state());
  ASSERT_TRUE(d.waitReady()) << d.log();
  ASSERT_EQ(perfctlOnBus(bus, {"baseline", "create", "--iterations", "4"}).exitCode, 0) << d.log();
  const std::string before = readFile(state() / "baselines.json");
  for (const char* command : {"create", "update"}) {
    auto r = perfctlOnBus(bus, {"baseline", command, "--iterations", "0"});
    EXPECT_EQ(r.exitCode, 2) << command << r.out;
    EXPECT_NE(r.err.find("Insufficient samples for baseline"), std::string::npos) << r.err;
    r = perfctlOnBus(bus, {"baseline", command, "--iterations", "-5"});
    EXPECT_EQ(r.exitCode, 2) << command << r.out;
    EXPECT_NE(r.err.find("negative"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("at most"), std::string::npos) << r.err;
  }
  EXPECT_EQ(readFile(state() / "baselines.json"), before);
  // The same words without the daemon.
  const auto local = run({perfctl().string(), "--local", "--config", config().string(), "--state-dir",
                          state().string(), "baseline", "create", "--iterations", "-5"});
  EXPECT_EQ(local.exitCode, 2);
  EXPECT_NE(local.err.find("negative"), std::string::npos) << local.err;
}

// A kill during a baselines write leaves .baselines.json.XXXXXX behind.
TEST_F(HostileDaemon, StaleTemporaryFilesOfOurOwnAreRemovedAtStart) {
  writeSleepConfig(0.01);
  fs::create_directories(state());
  const std::vector<std::string> ours{".baselines.json.a1B2c3", ".alerts.json.Zz9yY8", ".history.jsonl.q0W9e8",
                                      ".monitor.json.AAAAAA"};
  for (const auto& f : ours) {
    writeFile(state() / f, "{\"partial");
    const utimbuf old{std::time(nullptr) - 3600, std::time(nullptr) - 3600};
    ::utime((state() / f).c_str(), &old);
  }
  writeFile(state() / "notes.txt", "a user's file");
  writeFile(state() / ".baselines.json.fresh1", "{\"being written now");  // a writer's, not stale yet
  PrivateBus bus;
  DaemonProcess d(bus, config(), state());
  ASSERT_TRUE(d.waitReady()) << d.log();
  for (const auto& f : ours) EXPECT_FALSE(fs::exists(state() / f)) << f;
  EXPECT_TRUE(fs::exists(state() / "notes.txt"));
  EXPECT_TRUE(fs::exists(state() / ".baselines.json.fresh1"));
  EXPECT_NE(d.log().find("stale temporary"), std::string::npos) << d.log();
}

// ClearBaselines echoed a 1 MB argument back in its error.
TEST_F(HostileDaemon, ErrorsCutEchoedArgumentsToAReadableLength) {
  writeSleepConfig(0.01);
  PrivateBus bus;
  DaemonProcess d(bus, config(), state());
  ASSERT_TRUE(d.waitReady()) << d.log();
  auto conn = sdbus::createSessionBusConnectionWithAddress(bus.address());
  auto proxy = sdbus::createProxy(*conn, "org.giflab.Perf1", "/org/giflab/Perf1");
  for (const char* method : {"ClearBaselines", "CreateBaselines"}) {
    std::string message;
    try {
      auto call = proxy->createMethodCall(kManager, method);
      call << std::vector<std::string>{std::string(1 << 20, 'x') + "\x1b[31m"};
      if (std::string(method) == "CreateBaselines") call << 0u;
      proxy->callMethod(call);
    } catch (const sdbus::Error& e) {
      message = e.getMessage();
    }
    EXPECT_FALSE(message.empty()) << method;
    EXPECT_LT(message.size(), 300u) << method << ": " << message.substr(0, 400);
  }
  EXPECT_TRUE(d.running());
}

// While cycles fail, status said nothing of it.
TEST_F(HostileDaemon, StatusSaysWhileMonitoringCyclesFail) {
  writeSleepConfig(0.01, R"("enabled": true, "monitoring_interval": 1)");
  PrivateBus bus;
  DaemonProcess d(bus, config(), state());
  ASSERT_TRUE(d.waitReady()) << d.log();
  ASSERT_EQ(perfctlOnBus(bus, {"baseline", "create"}).exitCode, 0) << d.log();
  writeFile(state() / "baselines.json", "{ not json");
  json st;
  ASSERT_TRUE(eventually(
      [&] {
        st = parseJsonOutput(perfctlOnBus(bus, {"status", "--json"}));
        return st["monitor"].contains("failing") && st["monitor"]["failing"].value("failures", 0) >= 2;
      },
      20s))
      << st.dump(2) << d.log();
  const auto& failing = st["monitor"]["failing"];
  EXPECT_NE(failing["error"].get<std::string>().find("Failed to load baselines"), std::string::npos) << failing;
  EXPECT_EQ(failing["since"].get<std::string>().back(), 'Z');
  const auto text = perfctlOnBus(bus, {"status"});
  EXPECT_NE(text.out.find("failing"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("Failed to load baselines"), std::string::npos) << text.out;
  // Fixed: the next cycle that works clears it.
  ASSERT_EQ(perfctlOnBus(bus, {"baseline", "clear"}).exitCode, 0);
  ASSERT_EQ(perfctlOnBus(bus, {"baseline", "create"}).exitCode, 0);
  ASSERT_TRUE(eventually(
      [&] { return !parseJsonOutput(perfctlOnBus(bus, {"status", "--json"}))["monitor"].contains("failing"); }, 20s))
      << d.log();
}

// A workload's stderr went to the terminal as it was, escapes and all.
TEST_F(HostileCli, AWorkloadsControlCharactersAreShownEscaped) {
  writeFile(config(), R"({"scenarios": [{"name": "loud", "command": [")" + workload().string() +
                          R"(", "--stderr", "\u001b[2J\u001b[31mred\rback", "--exit", "3"], "iterations": 3}]})");
  const auto r = ctl({"baseline", "create"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_EQ(r.err.find('\x1b'), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("\\x1b[31mred\\x0dback"), std::string::npos) << r.err;
}

// A tampered file turned the gate off: impossible values were taken as
// measurements, and every check passed.
TEST_F(HostileCli, ImpossibleValuesInTheBaselinesFileMakeItInvalidNamingTheField) {
  ASSERT_EQ(ctl({"baseline", "create"}).exitCode, 0);
  const std::string good = readFile(state() / "baselines.json");
  struct Tamper {
    std::string pointer;  // JSON pointer below /baselines/sleepy
    json value;
    std::string named;    // what the message must name
  };
  const std::vector<Tamper> tampers{
      {"/samples/processing_time/1", -0.5, "samples.processing_time[1]"},
      {"/samples/processing_time/0", 0.0, "samples.processing_time[0]"},
      {"/samples/processing_time/2", 1e308, "samples.processing_time[2]"},
      {"/samples/memory_usage/0", -3.0, "samples.memory_usage[0]"},
      {"/samples/memory_usage/1", 1e300, "samples.memory_usage[1]"},
      {"/mean_processing_time", -1.0, "mean_processing_time"},
      {"/std_memory_usage", 1e308, "std_memory_usage"},
      {"/last_updated", "2999-01-01T00:00:00Z", "last_updated"},
      {"/sample_count", 0, "sample_count"},
  };
  for (const auto& t : tampers) {
    json doc = json::parse(good);
    doc["baselines"]["sleepy"][json::json_pointer(t.pointer)] = t.value;
    writeFile(state() / "baselines.json", doc.dump(2));
    const auto r = ctl({"ci", "check"});
    EXPECT_EQ(r.exitCode, 2) << t.pointer << "\n" << r.out << r.err;
    EXPECT_NE(r.err.find("baselines.sleepy." + t.named), std::string::npos) << t.pointer << ": " << r.err;
    EXPECT_NE(r.err.find("Failed to load baselines"), std::string::npos) << r.err;
  }
}

TEST_F(HostileCli, AnalyzeSaysWhatAPathIsAndRefusesAFileWithoutRecords) {
  auto r = run({perfctl().string(), "analyze", dir.path().string()});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("is a directory"), std::string::npos) << r.err;
  r = run({perfctl().string(), "analyze", "/dev/zero"});  // must not read forever
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("not a regular file"), std::string::npos) << r.err;
  r = run({perfctl().string(), "analyze", (dir / "missing.jsonl").string()});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("no such file"), std::string::npos) << r.err;
  writeFile(dir / "empty.jsonl", "");
  r = run({perfctl().string(), "analyze", (dir / "empty.jsonl").string()});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("no history records in " + (dir / "empty.jsonl").string() + " (0 damaged lines skipped)"),
            std::string::npos)
      << r.err;
  writeFile(dir / "junk.jsonl", "junk\n{\"timestamp\": 3}\n[1, 2]\n");
  r = run({perfctl().string(), "analyze", (dir / "junk.jsonl").string()});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("(3 damaged lines skipped)"), std::string::npos) << r.err;
}

TEST_F(HostileCli, AnUnknownScenarioIsAnErrorForEveryCommand) {
  ASSERT_EQ(ctl({"baseline", "create"}).exitCode, 0);
  for (const auto& args : std::vector<std::vector<std::string>>{{"history", "--scenario", "nosuch"},
                                                                {"baseline", "clear", "--scenario", "nosuch"},
                                                                {"baseline", "update", "--scenario", "nosuch"},
                                                                {"ci", "check", "--scenario", "nosuch"}}) {
    const auto r = ctl(args);
    EXPECT_EQ(r.exitCode, 2) << args[0] << " " << args[1] << ": " << r.out;
    EXPECT_NE(r.err.find("unknown scenario \"nosuch\""), std::string::npos) << r.err;
  }
  // A scenario that left the config but still has a baseline can be cleared.
  writeFile(config(), R"({"scenarios": [{"name": "other", "command": [")" + workload().string() +
                          R"("], "iterations": 3}]})");
  EXPECT_EQ(ctl({"baseline", "clear", "--scenario", "sleepy"}).exitCode, 0);
}

TEST_F(HostileCli, ImpossibleHistoryRecordsAreSkippedAndTheLastRunIsTheNewest) {
  fs::create_directories(state());
  const std::string ok = R"("scenario": "sleepy", "processing_time": 0.5, "memory_usage": 3)";
  writeFile(state() / "history.jsonl",
            std::string("{\"timestamp\": \"2026-11-30T10:00:00Z\", ") + ok + "}\n" +
                "{\"timestamp\": \"2026-11-30T12:00:00Z\", \"scenario\": \"sleepy\", \"processing_time\": 0.7, "
                "\"memory_usage\": 3}\n" +
                "{\"timestamp\": \"2026-11-30T11:00:00Z\", " + ok + "}\n" +  // older, written later
                "{\"timestamp\": \"2026-11-30T13:00:00Z\", \"scenario\": \"sleepy\", \"processing_time\": -1, "
                "\"memory_usage\": 3}\n" +
                "{\"timestamp\": \"2026-11-30T13:00:00Z\", \"scenario\": \"sleepy\", \"processing_time\": 1, "
                "\"memory_usage\": -3}\n" +
                "{\"timestamp\": \"2999-01-01T00:00:00Z\", " + ok + "}\n" +
                "{\"timestamp\": \"1999-12-31T23:59:59Z\", " + ok + "}\n" +
                "{\"timestamp\": \"2026-11-30T13:00:00Z\", \"scenario\": \"\\u001b[31m\", \"processing_time\": 1, "
                "\"memory_usage\": 3}\n");
  const auto st = parseJsonOutput(ctl({"status", "--json"}));
  EXPECT_EQ(st["history_records"], 3);
  EXPECT_EQ(st["history_skipped_lines"], 5);
  EXPECT_EQ(st["scenarios"][0]["last_run"]["timestamp"], "2026-11-30T12:00:00Z");
  EXPECT_DOUBLE_EQ(st["scenarios"][0]["last_run"]["processing_time"].get<double>(), 0.7);
  const auto h = parseJsonOutput(ctl({"history", "--days", "3650", "--json"}));
  EXPECT_EQ(h["skipped_lines"], 5);
}

TEST_F(HostileCli, ThresholdThatIsNotANumberSaysSo) {
  const auto r = ctl({"ci", "check", "--threshold", "abc"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("not a number"), std::string::npos) << r.err;
}

// A baseline job whose final write failed still recorded "baseline" history
// for a baseline that does not exist.
TEST_F(HostileCli, ABaselineWhoseWriteFailsLeavesNoBaselineRecords) {
  fs::create_directories(state() / ".baselines.lock");  // the lock cannot be opened: the write fails
  const auto r = ctl({"baseline", "create"});
  EXPECT_EQ(r.exitCode, 2) << r.out;
  EXPECT_NE(r.err.find(".baselines.lock"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(state() / "baselines.json"));
  EXPECT_EQ(readFile(state() / "history.jsonl").find("\"baseline\""), std::string::npos);
}

TEST_F(HostileCli, ConfigsBeyondTheDocumentedLimitsAreRefusedQuickly) {
  auto scenarios = [](int n) {
    std::string text = R"({"scenarios": [)";
    for (int i = 0; i < n; ++i)
      text += std::string(i ? "," : "") + R"({"name": "s)" + std::to_string(i) + R"(", "command": ["true"]})";
    return text + "]}";
  };
  // 40,000 (the config that froze the daemon for 14 s) do not fit in 1 MiB.
  writeFile(config(), scenarios(40000));
  auto r = ctl({"status"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("larger than 1 MiB"), std::string::npos) << r.err;
  writeFile(config(), scenarios(1001));
  r = ctl({"status"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.err.find("scenarios: 1001 scenarios; at most 1000 are allowed"), std::string::npos) << r.err;
  writeFile(config(), scenarios(1000));
  EXPECT_EQ(ctl({"status"}).exitCode, 0);
}
