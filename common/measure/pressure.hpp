#pragma once
// How long tasks on this machine waited for a CPU, from the kernel's
// pressure stall information (/proc/pressure/cpu; "some": the time at least
// one runnable task waited). A check measured while other tasks queued for
// the CPUs ran slower for want of a CPU, not for more work of its own.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

namespace giflab {

// The "some" line's total, in microseconds, of a /proc/pressure/cpu text;
// nothing when the text has none.
std::optional<long long> parseCpuWaitMicros(const std::string& text);

// The share of wall time, from its construction to share(), during which
// some task waited for a CPU. Nothing where the kernel offers no pressure
// information (built without PSI, or booted with psi=0).
class CpuPressureWindow {
 public:
  explicit CpuPressureWindow(std::filesystem::path file = "/proc/pressure/cpu");
  std::optional<double> share() const;

 private:
  std::optional<long long> readTotal() const;

  std::filesystem::path file_;
  std::optional<long long> startMicros_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace giflab
