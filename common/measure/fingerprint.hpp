#pragma once
// What the measurements ran on. Comparing numbers taken on different
// hardware or kernels is flagged rather than trusted.
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace giflab {

struct Fingerprint {
  std::string cpuModel;
  int cores = 0;
  std::string kernel;
  double load1 = 0;
  std::string governor;  // empty where not readable

  static Fingerprint current();
  // The fields that make measurements incomparable when they differ; empty: comparable.
  std::vector<std::string> differences(const Fingerprint& other) const;
  // The same machine and setting (load aside): the key for a history series.
  std::string key() const;
};

void to_json(nlohmann::json& j, const Fingerprint& f);
void from_json(const nlohmann::json& j, Fingerprint& f);

}  // namespace giflab
