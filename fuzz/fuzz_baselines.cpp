// libFuzzer: the baselines file. Anything unreadable is Error(BaselineCorrupt)
// with the fix in its message; never a crash.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

#include "common/store/baseline.hpp"
#include "common/base/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::filesystem::path dir = "/tmp/giflab-fuzz-baselines." + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  FILE* f = std::fopen((dir / "baselines.json").c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  try {
    for (const auto& [name, b] : giflab::BaselineStore(dir).load())
      if (b.processing_times.size() < giflab::kMinBaselineSamples) __builtin_trap();
  } catch (const giflab::Error& e) {
    if (e.kind() != giflab::ErrorKind::BaselineCorrupt) __builtin_trap();
  }
  return 0;
}
