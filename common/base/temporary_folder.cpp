#include "common/base/temporary_folder.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/base/error.hpp"

namespace giflab {

TemporaryFolder::TemporaryFolder(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  const std::string base = tmp && *tmp ? tmp : "/tmp";
  std::string pattern = base + "/" + prefix + "XXXXXX";
  if (!::mkdtemp(pattern.data()))
    throw Error(ErrorKind::Storage, "cannot create a temporary folder in " + base + ": " + std::strerror(errno) +
                                        " (set TMPDIR to a writable folder)");
  path_ = pattern;
}

TemporaryFolder::~TemporaryFolder() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace giflab
