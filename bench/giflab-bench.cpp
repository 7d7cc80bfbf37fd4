// giflab-bench: the measurements behind bench/RESULTS.md that need code
// (the rest is bench/run.sh with hyperfine, jq and /usr/bin/time).
//   giflab-bench overhead N               runner cost per /bin/true run (median µs)
//   giflab-bench append DIR N SYNC        history appends per second (SYNC 0/1), and a raw write() floor
//   giflab-bench generate FILE N SCENARIOS DAYS   a history file of N records
//   giflab-bench latency ADDRESS N        p50/p99 µs of GetId, Get(Version), GetStatus
//   giflab-bench throughput ADDRESS CLIENTS SECONDS   GetStatus calls per second
//   giflab-bench load ADDRESS CLIENTS SECONDS         status+history mix: p50/p99/max µs, errors
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <random>
#include <sdbus-c++/sdbus-c++.h>
#include <string>
#include <thread>
#include <vector>

#include "common/store/history.hpp"
#include "common/measure/runner.hpp"
#include "common/base/timeutil.hpp"

using Clock = std::chrono::steady_clock;
using nlohmann::json;

namespace {

double us(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(v.size())))];
}

// As the daemon runs a check's runs: one after another on one io_context,
// through one measuring session (its helper started by the first run).
asio::awaitable<void> runTrue(int n, std::vector<double>& total, std::vector<double>& inner) {
  const std::vector<std::string> argv{"/bin/true"};
  giflab::MeasuringSession session;
  for (int i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    const auto r = co_await session.run(argv, std::chrono::seconds(10), giflab::Cancellation{});
    total.push_back(us(Clock::now() - t0));
    inner.push_back(r.wallSeconds * 1e6);
  }
}

int overhead(int n) {
  std::vector<double> total, inner;
  asio::io_context io;
  asio::co_spawn(io, runTrue(n, total, inner), asio::detached);
  io.run();
  std::printf("%s\n", json{{"runs", n}, {"median_us", pct(total, 50)}, {"measured_median_us", pct(inner, 50)}}.dump().c_str());
  return 0;
}

std::string line(std::mt19937_64& rng, int scenario, giflab::SysTime t) {
  std::uniform_real_distribution<double> u(0.95, 1.05);
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "{\"timestamp\":\"%s\",\"scenario\":\"scenario_%03d\",\"processing_time\":%.6f,\"memory_usage\":%.3f,"
                "\"iterations\":5,\"source\":\"monitor\"}\n",
                giflab::formatIso8601(t).c_str(), scenario, 0.1 * (1 + scenario % 7) * u(rng), 20.0 + scenario % 13);
  return buf;
}

int append(const std::string& dir, int n, bool sync) {
  std::mt19937_64 rng(1);
  giflab::HistoryStore store(dir, 3650, sync);
  const auto now = std::chrono::system_clock::now();
  auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) store.append(json::parse(line(rng, i % 100, now)));
  const double ours = n / std::chrono::duration<double>(Clock::now() - t0).count();
  // The floor: the same lines with bare write() calls on an O_APPEND file.
  const std::string raw = dir + "/raw.jsonl";
  const int fd = ::open(raw.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_TRUNC, 0644);
  t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    const std::string l = line(rng, i % 100, now);
    if (::write(fd, l.data(), l.size()) < 0) return 1;
    if (sync) ::fdatasync(fd);
  }
  const double floor = n / std::chrono::duration<double>(Clock::now() - t0).count();
  ::close(fd);
  std::printf("%s\n", json{{"records", n}, {"fsync", sync}, {"per_second", ours}, {"raw_write_per_second", floor}}.dump().c_str());
  return 0;
}

int generate(const std::string& file, long n, int scenarios, int days) {
  std::mt19937_64 rng(7);
  FILE* f = std::fopen(file.c_str(), "w");
  if (!f) return 1;
  const auto end = std::chrono::system_clock::now();
  const auto span = std::chrono::hours(24) * days;
  for (long i = 0; i < n; ++i) {
    const auto t = end - span + std::chrono::duration_cast<std::chrono::system_clock::duration>(span * (static_cast<double>(i) / n));
    const std::string l = line(rng, static_cast<int>(i % scenarios), t);
    std::fwrite(l.data(), 1, l.size(), f);
  }
  std::fclose(f);
  return 0;
}

template <typename F>
std::vector<double> timeCalls(int n, F&& f) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    f();
    v.push_back(us(Clock::now() - t0));
  }
  return v;
}

int latency(const std::string& address, int n) {
  auto conn = sdbus::createSessionBusConnectionWithAddress(address);
  auto bus = sdbus::createProxy(*conn, "org.freedesktop.DBus", "/org/freedesktop/DBus");
  auto perf = sdbus::createProxy(*conn, "org.giflab.Perf1", "/org/giflab/Perf1");
  std::string s;
  // Interleaved call by call, so that the machine's noise (these are shared
  // VMs) reaches the three alike instead of whichever block it fell on.
  std::vector<double> getId, version, status;
  for (int i = 0; i < n; ++i) {
    auto one = timeCalls(1, [&] { bus->callMethod("GetId").onInterface("org.freedesktop.DBus").storeResultsTo(s); });
    getId.push_back(one.front());
    one = timeCalls(1, [&] { (void)perf->getProperty("Version").onInterface("org.giflab.Perf1.Manager").get<std::string>(); });
    version.push_back(one.front());
    one = timeCalls(1, [&] {
      perf->callMethod("GetStatus").onInterface("org.giflab.Perf1.Manager").withArguments(false).storeResultsTo(s);
    });
    status.push_back(one.front());
  }
  auto row = [](const std::vector<double>& v) { return json{{"p50_us", pct(v, 50)}, {"p99_us", pct(v, 99)}}; };
  std::printf("%s\n", json{{"calls", n}, {"GetId", row(getId)}, {"Version", row(version)}, {"GetStatus", row(status)}}.dump().c_str());
  return 0;
}

int clients(const std::string& address, int count, double seconds, bool mix) {
  std::atomic<long> calls{0}, errors{0};
  std::vector<std::vector<double>> lat(static_cast<size_t>(count));
  std::vector<std::thread> threads;
  const auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (int c = 0; c < count; ++c)
    threads.emplace_back([&, c] {
      auto conn = sdbus::createSessionBusConnectionWithAddress(address);
      auto perf = sdbus::createProxy(*conn, "org.giflab.Perf1", "/org/giflab/Perf1");
      std::string s;
      for (long i = 0; Clock::now() < end; ++i) {
        const auto t0 = Clock::now();
        try {
          if (mix && i % 2)
            perf->callMethod("GetHistory").onInterface("org.giflab.Perf1.Manager")
                .withArguments(std::string(""), std::string(""), 1u, false, false).storeResultsTo(s);
          else
            perf->callMethod("GetStatus").onInterface("org.giflab.Perf1.Manager").withArguments(false).storeResultsTo(s);
          ++calls;
        } catch (const sdbus::Error&) {
          ++errors;
        }
        lat[static_cast<size_t>(c)].push_back(us(Clock::now() - t0));
      }
    });
  for (auto& t : threads) t.join();
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  std::printf("%s\n", json{{"clients", count}, {"seconds", seconds}, {"calls", calls.load()}, {"errors", errors.load()},
                           {"per_second", calls.load() / seconds}, {"p50_us", pct(all, 50)}, {"p99_us", pct(all, 99)},
                           {"max_us", pct(all, 100)}}
                          .dump()
                          .c_str());
  return errors.load() ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> a(argv + 1, argv + argc);
  auto arg = [&](size_t i) { return i < a.size() ? a[i] : std::string(); };
  if (arg(0) == "overhead") return overhead(std::atoi(arg(1).c_str()));
  if (arg(0) == "append") return append(arg(1), std::atoi(arg(2).c_str()), arg(3) == "1");
  if (arg(0) == "generate") return generate(arg(1), std::atol(arg(2).c_str()), std::atoi(arg(3).c_str()), std::atoi(arg(4).c_str()));
  if (arg(0) == "latency") return latency(arg(1), std::atoi(arg(2).c_str()));
  if (arg(0) == "throughput") return clients(arg(1), std::atoi(arg(2).c_str()), std::atof(arg(3).c_str()), false);
  if (arg(0) == "load") return clients(arg(1), std::atoi(arg(2).c_str()), std::atof(arg(3).c_str()), true);
  std::fprintf(stderr, "usage: see the comment at the top of bench/giflab-bench.cpp\n");
  return 2;
}
