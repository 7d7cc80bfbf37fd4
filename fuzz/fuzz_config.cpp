// libFuzzer: the config parser. Any input is either a config or an
// Error(Config) naming where it is wrong; never a crash.
#include <cstdint>
#include <string>

#include "common/store/config.hpp"
#include "common/base/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    giflab::parseConfig(std::string(reinterpret_cast<const char*>(data), size), "/etc/giflab-perfd/config.json");
  } catch (const giflab::Error& e) {
    if (e.kind() != giflab::ErrorKind::Config) __builtin_trap();
  }
  return 0;
}
