#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>

#include <nlohmann/json.hpp>

#include "common/store/baseline.hpp"
#include "common/base/error.hpp"
#include "tests/test_support.hpp"

using namespace giflab;
using namespace giflab::test;

namespace {
Baseline make(const std::string& name, double t, size_t n = 5) {
  std::vector<double> times, mem;
  for (size_t i = 0; i < n; ++i) times.push_back(t + 0.001 * static_cast<double>(i)), mem.push_back(10 + static_cast<double>(i));
  return Baseline::fromSamples(name, times, mem, 0.95, Fingerprint::current());
}
}  // namespace

TEST(Baseline, StatisticsFromSamples) {
  const Baseline b = Baseline::fromSamples("s", {1, 2, 3, 4}, {10, 10, 12, 12}, 0.95, {});
  EXPECT_DOUBLE_EQ(b.mean_processing_time, 2.5);
  EXPECT_NEAR(b.std_processing_time, 1.2909944487, 1e-9);
  EXPECT_DOUBLE_EQ(b.mean_memory_usage, 11);
  EXPECT_EQ(b.sample_count, 4);
  EXPECT_FALSE(b.last_updated.empty());
}

TEST(Baseline, FewerThanThreeSamplesIsRefused) {
  try {
    Baseline::fromSamples("s", {1, 2}, {1, 2}, 0.95, {});
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InsufficientSamples);
    EXPECT_NE(std::string(e.what()).find("Insufficient samples for baseline"), std::string::npos);
  }
}

TEST(Baseline, WindowKeepsTheNewest) {
  std::vector<double> t(80), m(80, 1.0);
  for (size_t i = 0; i < 80; ++i) t[i] = static_cast<double>(i);
  const Baseline b = Baseline::fromSamples("s", t, m, 0.95, {});
  EXPECT_EQ(b.sample_count, static_cast<int>(kMaxBaselineSamples));
  EXPECT_DOUBLE_EQ(b.processing_times.front(), 80.0 - kMaxBaselineSamples);
}

TEST(Baseline, SaveLoadRoundTrip) {
  TempDir dir;
  BaselineStore store(dir.path());
  EXPECT_TRUE(store.load().empty());
  store.save({{"a", make("a", 0.1)}, {"b", make("b", 0.2)}});
  const auto loaded = store.load();
  ASSERT_EQ(loaded.size(), 2u);
  EXPECT_DOUBLE_EQ(loaded.at("b").processing_times[0], 0.2);
  EXPECT_EQ(loaded.at("a").fingerprint.cores, Fingerprint::current().cores);
}

TEST(Baseline, TheControlThatMeasuredItIsKeptAndMustBeAString) {
  TempDir dir;
  BaselineStore store(dir.path());
  Baseline b = make("a", 0.1);
  b.control_times = {0.03, 0.031, 0.029, 0.03, 0.032};
  b.control_id = "giflab-perf-control 3";
  store.save({{"a", b}});
  EXPECT_EQ(store.load().at("a").control_id, "giflab-perf-control 3");
  auto j = nlohmann::json::parse(readFile(dir / "baselines.json"));
  j["baselines"]["a"]["control"] = 2;
  writeFile(dir / "baselines.json", j.dump());
  try {
    store.load();
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BaselineCorrupt);
    EXPECT_NE(std::string(e.what()).find("control: expected a string naming the control"), std::string::npos) << e.what();
  }
}

TEST(Baseline, CpuTimesAreKeptRunByRunOrRefused) {
  TempDir dir;
  BaselineStore store(dir.path());
  Baseline b = make("a", 0.1);
  b.cpu_times.assign(b.processing_times.size(), 0.0);  // a run that only waits takes no CPU time
  b.cpu_times[1] = 0.09;
  store.save({{"a", b}});
  EXPECT_EQ(store.load().at("a").cpu_times, b.cpu_times);
  auto j = nlohmann::json::parse(readFile(dir / "baselines.json"));
  j["baselines"]["a"]["samples"]["cpu_time"].erase(0);
  writeFile(dir / "baselines.json", j.dump());
  try {
    store.load();
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::BaselineCorrupt);
    EXPECT_NE(std::string(e.what()).find("samples.cpu_time: holds a different number of samples"), std::string::npos)
        << e.what();
  }
}

TEST(Baseline, CorruptFileGivesTheFix) {
  TempDir dir;
  for (const std::string bad : {"{not json", R"({"baselines": {"a": {"scenario_name": "a"}}})", "[]"}) {
    writeFile(dir / "baselines.json", bad);
    try {
      BaselineStore(dir.path()).load();
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::BaselineCorrupt);
      const std::string m = e.what();
      EXPECT_EQ(m.rfind("Failed to load baselines:", 0), 0u) << m;
      EXPECT_NE(m.find("baseline clear"), std::string::npos) << m;
      EXPECT_NE(m.find("baseline create"), std::string::npos) << m;
    }
  }
}

TEST(Baseline, AWriterKilledAtRandomNeverLeavesACorruptFile) {
  TempDir dir;
  BaselineStore store(dir.path());
  // Two versions, large enough that a write takes a while.
  std::map<std::string, Baseline> a, b;
  for (int i = 0; i < 200; ++i) {
    a["s" + std::to_string(i)] = make("s" + std::to_string(i), 1.0, 50);
    b["s" + std::to_string(i)] = make("s" + std::to_string(i), 2.0, 50);
  }
  store.save(a);
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> delay(0, 15000);
  for (int round = 0; round < 200; ++round) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      for (int k = 0;; ++k) BaselineStore(dir.path()).save(k % 2 ? a : b);
    }
    usleep(static_cast<useconds_t>(delay(rng)));
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    const auto loaded = store.load();  // throws on a corrupt file
    ASSERT_EQ(loaded.size(), 200u) << "round " << round;
    const double first = loaded.at("s0").processing_times[0];
    EXPECT_TRUE(first == 1.0 || first == 2.0);
    // Every entry comes from the same version: never a mix.
    for (const auto& [n, bl] : loaded) ASSERT_DOUBLE_EQ(bl.processing_times[0], first);
  }
  // Killed writers may leave their temporary file; never the real one half-written.
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    EXPECT_TRUE(e.path().filename() == "baselines.json" || e.path().filename().string().rfind(".baselines.json.", 0) == 0);
}
