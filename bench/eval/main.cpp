// giflab-eval: writes the detection evaluation table (docs/detection-evaluation.md).
// Usage: giflab-eval DATA_DIR [--scale S] [--seed N]
#include <sys/utsname.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include <iostream>
#include <nlohmann/json.hpp>

#include "bench/eval/evaluation.hpp"
#include "common/detect/analysis.hpp"
#include "common/measure/fingerprint.hpp"

namespace {

// `giflab-eval change-points [--min-change F] [--sensitivity A]`: reads one
// JSON object a line ({"id": ..., "values": [...]}) and writes {id: [index,
// ...]}, the product's change points, for tools/cp-eval/eval_all.py.
int changePoints(int argc, char** argv) {
  giflab::ChangePointOptions options;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--min-change") options.minRelativeChange = std::atof(argv[i + 1]);
    else if (k == "--sensitivity") options.alpha = std::atof(argv[i + 1]);
  }
  nlohmann::json out = nlohmann::json::object();
  for (std::string line; std::getline(std::cin, line);) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line);
    nlohmann::json indices = nlohmann::json::array();
    for (const auto& cp : giflab::detectChangePoints(j.at("values").get<std::vector<double>>(), options))
      indices.push_back(cp.index);
    out[j.at("id").get<std::string>()] = indices;
  }
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "change-points") return changePoints(argc, argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: giflab-eval DATA_DIR [--scale S] [--seed N]\n");
    return 2;
  }
  double scale = 5.0;  // 1000 series for each noise, CV and step: differences of half a percent show
  unsigned long long seed = 20261128;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--scale") scale = std::atof(argv[i + 1]);
    else if (k == "--seed") seed = std::strtoull(argv[i + 1], nullptr, 10);
  }
  const auto fp = giflab::Fingerprint::current();
  const std::string machine = "Machine: " + fp.cpuModel + ", " + std::to_string(fp.cores) + " cores, Linux " + fp.kernel + ".";
  const auto report = giflab::eval::evaluate(argv[1], scale, seed);
  std::fputs(giflab::eval::markdown(report, machine).c_str(), stdout);
  return 0;
}
