#include "common/measure/fingerprint.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/base/text.hpp"

namespace giflab {

namespace {
std::string firstLine(const char* path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}
}  // namespace

Fingerprint Fingerprint::current() {
  Fingerprint f;
  std::ifstream cpu("/proc/cpuinfo");
  for (std::string line; std::getline(cpu, line);) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) f.cpuModel = line.substr(line.find_first_not_of(" \t", colon + 1));
      break;
    }
  }
  f.cores = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
  utsname u{};
  if (::uname(&u) == 0) f.kernel = u.release;
  const std::string load = firstLine("/proc/loadavg");
  if (!load.empty()) f.load1 = std::strtod(load.c_str(), nullptr);
  f.governor = firstLine("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
  // From the kernel, but shown on terminals and sent on D-Bus: made safe.
  f.cpuModel = shortened(f.cpuModel, 200);
  f.kernel = shortened(f.kernel, 200);
  f.governor = shortened(f.governor, 64);
  return f;
}

std::vector<std::string> Fingerprint::differences(const Fingerprint& o) const {
  std::vector<std::string> d;
  if (cpuModel != o.cpuModel) d.push_back("cpu_model");
  if (cores != o.cores) d.push_back("cores");
  if (kernel != o.kernel) d.push_back("kernel");
  if (governor != o.governor) d.push_back("governor");
  return d;
}

std::string Fingerprint::key() const {
  return cpuModel + "|" + std::to_string(cores) + "|" + kernel + "|" + governor;
}

void to_json(nlohmann::json& j, const Fingerprint& f) {
  j = {{"cpu_model", f.cpuModel}, {"cores", f.cores}, {"kernel", f.kernel}, {"load1", f.load1}};
  if (!f.governor.empty()) j["governor"] = f.governor;
}

void from_json(const nlohmann::json& j, Fingerprint& f) {
  f.cpuModel = shortened(j.value("cpu_model", ""), 200);
  f.cores = j.value("cores", 0);
  f.kernel = shortened(j.value("kernel", ""), 200);
  f.load1 = j.value("load1", 0.0);
  f.governor = shortened(j.value("governor", ""), 64);
}

}  // namespace giflab
