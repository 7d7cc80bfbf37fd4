#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <fstream>
#include <random>
#include <set>

#include "common/base/error.hpp"
#include "common/store/history.hpp"
#include "common/base/timeutil.hpp"
#include "tests/test_support.hpp"

using namespace giflab;
using namespace giflab::test;
using nlohmann::json;

namespace {
json record(const std::string& scenario, double t, double m, SysTime when = std::chrono::system_clock::now()) {
  return {{"timestamp", formatIso8601(when)}, {"scenario", scenario}, {"processing_time", t}, {"memory_usage", m},
          {"samples", {{"processing_time", {t, t}}, {"memory_usage", {m, m}}}}};
}

std::vector<HistoryPoint> readAll(const HistoryStore& h, HistoryFilter f = {}) {
  std::vector<HistoryPoint> v;
  h.read(f, [&](const HistoryPoint& p) { v.push_back(p); });
  return v;
}
}  // namespace

TEST(Time, Iso8601RoundTrip) {
  const auto t = parseIso8601("2025-01-12T15:30:00Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(formatIso8601(*t), "2025-01-12T15:30:00Z");
  EXPECT_EQ(formatIso8601(*parseIso8601("2025-01-12T16:30:00+01:00")), "2025-01-12T15:30:00Z");
  EXPECT_EQ(formatIso8601(*parseIso8601("2025-01-12T15:30:00.123456")), "2025-01-12T15:30:00Z");
  EXPECT_FALSE(parseIso8601("2025-13-12T15:30:00Z"));
  EXPECT_FALSE(parseIso8601("yesterday"));
  EXPECT_FALSE(parseIso8601("2025-01-12T15:30:00Zjunk"));
  // Beyond what the clock holds (nanoseconds in 64 bits): not a time, rather than an overflow (UBSan found it).
  EXPECT_FALSE(parseIso8601("2999-01-01T00:00:00Z"));
  EXPECT_FALSE(parseIso8601("1600-01-01T00:00:00Z"));
  EXPECT_TRUE(parseIso8601("2261-12-31T23:59:59Z"));
}

TEST(History, AppendAndReadWithFilters) {
  TempDir dir;
  HistoryStore h(dir.path(), 30, false);
  const auto now = std::chrono::system_clock::now();
  h.append(record("a", 1.0, 10, now - std::chrono::hours(24 * 10)));
  h.append(record("b", 2.0, 20, now - std::chrono::hours(24 * 2)));
  h.append(record("a", 3.0, 30, now));
  EXPECT_EQ(readAll(h).size(), 3u);
  HistoryFilter f;
  f.scenario = "a";
  const auto onlyA = readAll(h, f);
  ASSERT_EQ(onlyA.size(), 2u);
  EXPECT_DOUBLE_EQ(onlyA[1].processingTime, 3.0);
  f.since = now - std::chrono::hours(24 * 7);
  EXPECT_EQ(readAll(h, f).size(), 1u);
}

TEST(History, TornLinesAreSkippedAndCounted) {
  TempDir dir;
  HistoryStore h(dir.path(), 30, false);
  h.append(record("a", 1.0, 10));
  // A writer killed mid-line leaves half a record without a newline.
  const std::string torn = R"({"timestamp": "2026-01-01T00:00:00Z", "scenario": "a", "processing_ti)";
  std::ofstream(h.path(), std::ios::app) << torn;
  h.append(record("a", 2.0, 20));
  std::ofstream(h.path(), std::ios::app) << "garbage line\n\n";
  std::vector<HistoryPoint> v;
  const auto stats = h.read({}, [&](const HistoryPoint& p) { v.push_back(p); });
  ASSERT_EQ(v.size(), 2u);
  EXPECT_DOUBLE_EQ(v[1].processingTime, 2.0);
  EXPECT_EQ(stats.skipped, 2u);
}

TEST(History, ExpiredRecordsAreRemovedAutomatically) {
  TempDir dir;
  HistoryStore h(dir.path(), 30, false);
  const auto now = std::chrono::system_clock::now();
  h.append(record("old", 1.0, 1, now - std::chrono::hours(24 * 40)));
  h.append(record("old", 1.0, 1, now - std::chrono::hours(24 * 31)));
  // Appending a fresh record notices the expired head and compacts.
  h.append(record("new", 2.0, 2, now));
  const auto v = readAll(h);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].scenario, "new");
  // Unknown fields of kept records survive the compaction verbatim.
  EXPECT_NE(readFile(h.path()).find("\"samples\""), std::string::npos);
}

TEST(History, ConcurrentAppendsFromSeveralProcessesLoseNothing) {
  TempDir dir;
  constexpr int kWriters = 4, kEach = 250;
  std::vector<pid_t> pids;
  for (int w = 0; w < kWriters; ++w) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      HistoryStore h(dir.path(), 30, false);
      for (int i = 0; i < kEach; ++i) {
        json r = record("w" + std::to_string(w), w * 1000 + i, 1);
        r["padding"] = std::string(static_cast<size_t>(500 + (i % 7) * 900), 'p');  // lines of different sizes
        h.append(r);
      }
      _exit(0);
    }
    pids.push_back(pid);
  }
  for (pid_t p : pids) {
    int st = 0;
    waitpid(p, &st, 0);
    ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  }
  HistoryStore h(dir.path(), 30, false);
  std::set<double> seen;
  const auto stats = h.read({}, [&](const HistoryPoint& p) { seen.insert(p.processingTime); });
  EXPECT_EQ(stats.skipped, 0u);
  EXPECT_EQ(stats.records, static_cast<uint64_t>(kWriters * kEach));
  EXPECT_EQ(seen.size(), static_cast<size_t>(kWriters * kEach));
}

TEST(History, AKilledWriterLosesNoAcknowledgedRecord) {
  TempDir dir;
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> delay(0, 20000);
  uint64_t acknowledged = 0;
  for (int round = 0; round < 100; ++round) {
    int ack[2];
    ASSERT_EQ(pipe(ack), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(ack[0]);
      HistoryStore h(dir.path(), 30, true);
      for (;;) {
        json r = record("k", 1.0, 1);
        r["padding"] = std::string(3000, 'q');
        h.append(r);
        const char c = 1;
        if (write(ack[1], &c, 1) != 1) _exit(1);
      }
    }
    close(ack[1]);
    usleep(static_cast<useconds_t>(delay(rng)));
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    char buf[4096];
    for (ssize_t n; (n = read(ack[0], buf, sizeof buf)) > 0;) acknowledged += static_cast<uint64_t>(n);
    close(ack[0]);
  }
  HistoryStore h(dir.path(), 30, false);
  const auto stats = h.read({}, [](const HistoryPoint&) {});
  EXPECT_GE(stats.records, acknowledged);
  EXPECT_LE(stats.records, acknowledged + 100);  // at most one unacknowledged record per kill
  EXPECT_LE(stats.skipped, 100u);                // at most one torn line per kill
}

TEST(History, ReadsAnyJsonlFileAndAVeryLongLine) {
  TempDir dir;
  json r = record("x", 1.5, 3);
  r["blob"] = std::string(3 << 20, 'b');  // longer than the read chunk
  writeFile(dir / "f.jsonl", r.dump() + "\n" + record("x", 2.5, 3).dump());  // last line without newline
  std::vector<double> got;
  const auto stats = readHistoryFile(dir / "f.jsonl", {}, [&](const HistoryPoint& p) { got.push_back(p.processingTime); });
  EXPECT_EQ(got, (std::vector<double>{1.5, 2.5}));
  EXPECT_EQ(stats.skipped, 0u);
}

// On a full disk the append wrote what fitted: a partial line that stayed
// in the middle of the file once space returned. Now it is cut back off.
TEST(History, AnAppendOnAFullDiskWritesTheWholeRecordOrNothing) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs";
  TempDir dir;
  const auto mnt = dir / "small";
  std::filesystem::create_directories(mnt);
  ASSERT_EQ(run({"mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mnt.string()}).exitCode, 0);
  struct Unmount {
    std::filesystem::path p;
    ~Unmount() { run({"umount", p.string()}); }
  } unmount{mnt};
  HistoryStore h(mnt, 30, true);
  // Fill the history's last page to about 3.6 KiB, so that the next record
  // half fits: the page's slack takes a part, the rest needs a page there is none of.
  while (std::filesystem::exists(h.path()) ? std::filesystem::file_size(h.path()) % 4096 < 3500 : true)
    h.append(record("sized", 0.1, 1));
  const auto before = std::filesystem::file_size(h.path());
  {
    std::ofstream filler(mnt / "filler", std::ios::binary);
    const std::string block(4096, 'x');
    while (filler.write(block.data(), block.size())) {
    }
  }
  json big = record("sized", 0.2, 2);
  big["padding"] = std::string(2000, 'p');
  try {
    h.append(big);
    ADD_FAILURE() << "the append on a full disk did not fail";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Storage);
    EXPECT_NE(std::string(e.what()).find("free some disk space"), std::string::npos) << e.what();
  }
  EXPECT_EQ(std::filesystem::file_size(h.path()), before);  // nothing of it left
  std::filesystem::remove(mnt / "filler");
  h.append(record("sized", 0.3, 3));
  size_t lines = 0, bad = 0;
  std::ifstream in(h.path());
  for (std::string l; std::getline(in, l); ++lines) bad += json::parse(l, nullptr, false).is_discarded();
  EXPECT_EQ(bad, 0u);
  EXPECT_EQ(readAll(h).back().processingTime, 0.3);
}

// Found by fuzz_history: a line that breaks while the reader looks for the
// optional version (or environment, or fingerprint) is damaged, skipped and
// counted; the reader goes on with the next line (under UBSan it once used a
// dead iterator).
TEST(History, ALineThatBreaksAfterItsRequiredFieldsIsSkipped) {
  TempDir dir;
  // The fuzzer's input: read to its end, every line a record or skipped.
  const auto found = std::filesystem::path(GIFLAB_SOURCE_DIR) / "fuzz/corpus/history/regression-dead-iterator-after-version";
  const auto fuzzed = readHistoryFile(found, {}, [](const HistoryPoint&) {});
  EXPECT_GE(fuzzed.skipped, 1u);
  const std::string head = R"({"timestamp": "2026-01-02T03:00:00Z", "scenario": "a", "processing_time": 1, "memory_usage": 2, )";
  writeFile(dir / "h.jsonl", head + R"("version": )" + "\n" +                // breaks while looking for the version
                                 head + R"("version": 3})" + "\n" +             // a number is no version
                                 head + R"("version": "v1", "environment": "staging", "fingerprint": {"cores": 2}})" +
                                 "\n" + head + R"("fingerprint": [})" + "\n");  // breaks at the fingerprint
  std::vector<HistoryPoint> points;
  HistoryFilter filter;
  filter.withFingerprint = true;
  const auto stats = readHistoryFile(dir / "h.jsonl", filter, [&](const HistoryPoint& p) { points.push_back(p); });
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0].version, "");
  EXPECT_EQ(points[1].version, "v1");
  EXPECT_EQ(points[1].environment, "staging");
  EXPECT_EQ(json::parse(points[1].fingerprint)["cores"], 2);
  EXPECT_EQ(stats.skipped, 2u);
  filter.environment = "staging";
  points.clear();
  readHistoryFile(dir / "h.jsonl", filter, [&](const HistoryPoint& p) { points.push_back(p); });
  EXPECT_EQ(points.size(), 1u);
}
