// libFuzzer: the daemon's argument checks, fed the way D-Bus would feed them
// (names, iterations, thresholds, windows). Each input is accepted or refused
// with a named error; never a crash.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "common/base/error.hpp"
#include "daemon/arguments.hpp"

namespace {
const giflab::Engine& engine() {
  static const giflab::Engine e(giflab::parseConfig(
      R"({"scenarios": [{"name": "small", "command": ["true"]}, {"name": "large.1", "command": ["true"], "monitored": false}]})",
      "/etc/giflab-perfd/config.json"), "/tmp/giflab-fuzz-state");
  return e;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Layout: iterations (4 bytes), days (4), threshold (8, a double), flags (1), names.
  if (size < 17) return 0;
  uint32_t iterations, days;
  double threshold;
  std::memcpy(&iterations, data, 4);
  std::memcpy(&days, data + 4, 4);
  std::memcpy(&threshold, data + 8, 8);
  const uint8_t flags = data[16];
  std::string rest(reinterpret_cast<const char*>(data + 17), size - 17);
  std::vector<std::string> names;
  for (size_t start = 0; start <= rest.size();) {  // names separated by NUL
    const size_t end = rest.find('\0', start);
    names.push_back(rest.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  auto guarded = [](auto f) {
    try {
      f();
    } catch (const giflab::Error& e) {
      if (e.kind() == giflab::ErrorKind::Internal) __builtin_trap();  // every refusal has a proper name
    }
  };
  guarded([&] { giflab::daemon::checkScenarioNames(engine(), names, flags & 1); });
  guarded([&] { giflab::daemon::checkIterations(iterations); });
  guarded([&] { giflab::daemon::checkCiArguments(engine(), (flags & 2) ? "gate" : names.front(), threshold, names); });
  guarded([&] {
    giflab::daemon::checkHistoryArguments(names.front(), names.size() > 1 ? names[1] : "", days, flags & 4, flags & 8);
  });
  return 0;
}
