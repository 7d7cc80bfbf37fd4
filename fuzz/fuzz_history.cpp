// libFuzzer: history lines and `analyze` input. Whatever is in the file, the
// reader skips what is not a record and `analyze` reports on the rest, or,
// when nothing is left, refuses the file with InvalidArgument (exit 2).
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "common/cycle/engine.hpp"
#include "common/base/error.hpp"
#include "common/store/history.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/giflab-fuzz-history." + std::to_string(getpid()) + ".jsonl";
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  uint64_t seen = 0;
  const auto stats = giflab::readHistoryFile(path, {}, [&](const giflab::HistoryPoint&) { ++seen; });
  if (stats.records != seen) __builtin_trap();
  try {
    giflab::Engine::analyzeFile(path, std::nullopt);
    if (seen == 0) __builtin_trap();  // a file without records must be refused
  } catch (const giflab::Error& e) {
    if (e.kind() != giflab::ErrorKind::InvalidArgument || seen != 0) __builtin_trap();
  }
  return 0;
}
