// giflab-eval: writes the detection evaluation table (docs/detection-evaluation.md).
// Usage: giflab-eval DATA_DIR [--scale S] [--seed N]
#include <sys/utsname.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench/eval/evaluation.hpp"
#include "common/fingerprint.hpp"

int main(int argc, char** argv) {
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
