#pragma once
// Helpers shared by the tests: temporary folders, running programs, paths
// of the built binaries.
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace giflab::test {

std::filesystem::path binDir();
std::filesystem::path workload();  // giflab-test-workload
std::filesystem::path perfctl();   // giflab-perfctl

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

struct ProcessResult {
  int exitCode = -1;
  std::string out, err;
};

// Starts argv (PATH searched, no shell) with this environment plus or
// overriding the entries "K=V" ("K=" removes K); stdin from /dev/null,
// stdout and stderr to the given files. Returns the pid.
pid_t spawnProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                   const std::filesystem::path& out, const std::filesystem::path& err);
// Runs argv and waits for it.
ProcessResult run(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});
// Runs argv (a path) on a new pseudo-terminal; out holds everything it wrote
// there (stdout and stderr together), err stays empty.
ProcessResult runOnTerminal(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});
// Whether a process whose command line contains `pattern` runs (pgrep -f).
bool processRunning(const std::string& pattern);

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    ::usleep(50000);
  }
  return pred();
}

// A command's stdout as JSON; a test failure (not a throw) when it is not JSON.
nlohmann::json parseJsonOutput(const ProcessResult& r);

void writeFile(const std::filesystem::path& p, const std::string& text);
std::string readFile(const std::filesystem::path& p);

}  // namespace giflab::test
