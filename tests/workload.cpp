// giflab-test-workload: a workload whose time and memory are known, for
// checking the runner against the truth.
//   --sleep S       sleep S seconds
//   --alloc-mb M    allocate and touch M MiB (resident until exit)
//   --exit N        exit with code N
//   --stderr TEXT   write TEXT to stderr (repeatable: one line each)
//   --signal N      raise signal N at the end
//   --spawn-sleeper S  leave a child sleeping S seconds in the same process group
//   --flood MB      write MB MiB to stdout and stderr
//   --write FILE    create FILE (to check {output})
//   --sleep-file F  read the sleep seconds from file F (lets a test slow a scenario down)
//   --escape-sleeper S  leave a child sleeping S seconds in a new session (out of the process group)
//   --work N        do N units of CPU work (a fixed amount of computation, about 1 ms a unit
//                   on an idle core here): unlike a sleep, it slows down when the CPU is shared
//   --work-file F   read the work units from file F
//   --sleep-series F  run k (counted in F.runs, the warm-up included) sleeps the seconds on
//                   line k of F, or on its last line after that: a workload that changes level
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  double sleepS = 0;
  long allocMb = 0;
  int exitCode = 0, sig = 0;
  double sleeper = 0, escaper = 0;
  long floodMb = 0;
  double workUnits = 0;
  std::vector<std::string> errLines;
  std::string writeFile;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--sleep") sleepS = std::atof(v);
    else if (k == "--alloc-mb") allocMb = std::atol(v);
    else if (k == "--exit") exitCode = std::atoi(v);
    else if (k == "--stderr") errLines.emplace_back(v);
    else if (k == "--signal") sig = std::atoi(v);
    else if (k == "--spawn-sleeper") sleeper = std::atof(v);
    else if (k == "--escape-sleeper") escaper = std::atof(v);
    else if (k == "--flood") floodMb = std::atol(v);
    else if (k == "--write") writeFile = v;
    else if (k == "--work") workUnits = std::atof(v);
    else if (k == "--work-file") {
      std::ifstream in(v);
      in >> workUnits;
    } else if (k == "--sleep-series") {
      // A byte appended per run: the file's size is this run's number + 1.
      const std::string runs = std::string(v) + ".runs";
      std::ofstream(runs, std::ios::app) << '.';
      std::ifstream counted(runs, std::ios::ate | std::ios::binary);
      const auto run = static_cast<long>(counted.tellg()) - 1;
      std::ifstream in(v);
      double seconds = 0;
      for (long line = 0; line <= run && in >> seconds; ++line) sleepS = seconds;
    } else if (k == "--sleep-file") {
      std::ifstream in(v);
      in >> sleepS;
    } else {
      std::fprintf(stderr, "giflab-test-workload: unknown option %s\n", k.c_str());
      return 64;
    }
  }
  if (sleeper > 0 && fork() == 0) {
    std::this_thread::sleep_for(std::chrono::duration<double>(sleeper));
    _exit(0);
  }
  if (escaper > 0 && fork() == 0) {
    setsid();
    std::this_thread::sleep_for(std::chrono::duration<double>(escaper));
    _exit(0);
  }
  std::vector<char> block;
  if (allocMb > 0) {
    block.resize(static_cast<size_t>(allocMb) << 20);
    for (size_t i = 0; i < block.size(); i += 4096) block[i] = static_cast<char>(i);
  }
  if (floodMb > 0) {
    std::string chunk(1 << 20, 'x');
    for (long i = 0; i < floodMb; ++i) {
      fwrite(chunk.data(), 1, chunk.size(), stdout);
      fwrite(chunk.data(), 1, chunk.size(), stderr);
    }
  }
  if (workUnits > 0) {
    // xorshift64: cheap, never optimised away (the result is the exit path's input).
    uint64_t x = 88172645463325252ull;
    const auto steps = static_cast<uint64_t>(workUnits * 540000.0);
    for (uint64_t i = 0; i < steps; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      asm volatile("" : "+r"(x));  // each step is done, not folded away
    }
    if (x == 42) std::fputs("", stderr);
  }
  if (sleepS > 0) std::this_thread::sleep_for(std::chrono::duration<double>(sleepS));
  if (!writeFile.empty()) std::ofstream(writeFile) << "output\n";
  for (const auto& l : errLines) std::fprintf(stderr, "%s\n", l.c_str());
  std::fflush(nullptr);
  if (sig) raise(sig);
  volatile char keep = block.empty() ? 0 : block[block.size() / 2];
  (void)keep;
  return exitCode;
}
