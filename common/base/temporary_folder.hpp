#pragma once
// A private folder under $TMPDIR (or /tmp), removed with all it holds when
// this goes away, also while an exception unwinds.
#include <filesystem>
#include <string>

namespace giflab {

class TemporaryFolder {
 public:
  // The folder is named prefix + six random characters.
  explicit TemporaryFolder(const std::string& prefix);
  ~TemporaryFolder();
  TemporaryFolder(const TemporaryFolder&) = delete;
  TemporaryFolder& operator=(const TemporaryFolder&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace giflab
