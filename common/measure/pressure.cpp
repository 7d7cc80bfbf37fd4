#include "common/measure/pressure.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace giflab {

std::optional<long long> parseCpuWaitMicros(const std::string& text) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("some ", 0) != 0) continue;
    const auto at = line.find(" total=");
    if (at == std::string::npos) return std::nullopt;
    try {
      size_t used = 0;
      const long long total = std::stoll(line.substr(at + 7), &used);
      return total >= 0 ? std::optional<long long>(total) : std::nullopt;
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

CpuPressureWindow::CpuPressureWindow(std::filesystem::path file)
    : file_(std::move(file)), startMicros_(readTotal()), start_(std::chrono::steady_clock::now()) {}

std::optional<long long> CpuPressureWindow::readTotal() const {
  std::ifstream in(file_);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return parseCpuWaitMicros(text.str());
}

std::optional<double> CpuPressureWindow::share() const {
  const auto now = readTotal();
  if (!startMicros_ || !now || *now < *startMicros_) return std::nullopt;
  const double wall = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start_).count();
  if (wall <= 0) return std::nullopt;
  return std::clamp(static_cast<double>(*now - *startMicros_) / wall, 0.0, 1.0);
}

}  // namespace giflab
