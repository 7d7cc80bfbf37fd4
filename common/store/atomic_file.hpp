#pragma once
// Replace a file so that a crash at any instant leaves either the old or the
// new contents: write a temporary file, fsync it, rename over, fsync the folder.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>
#include <chrono>

namespace giflab {

void writeFileAtomically(const std::filesystem::path& file, std::string_view contents);
// mkdir -p with a message that says what to do when it fails.
void ensureDirectory(const std::filesystem::path& dir);
// Error(Storage): "<what> <path>: <strerror>" and what to do about it
// (free disk space, make the state folder writable).
[[noreturn]] void throwStorageError(const std::string& what, const std::filesystem::path& path, int err);

// "is a directory", "is a character device (not a regular file)", ...:
// what a path that should be a file is instead.
std::string describeNonRegular(const std::filesystem::file_status& status);

// Removes temporary files that writeFileAtomically() left behind when it was
// killed (".NAME.XXXXXX" for each of names) once they are older than
// minAge; returns how many went. Younger ones may belong to a live writer.
size_t removeStaleTemporaryFiles(const std::filesystem::path& dir, const std::vector<std::string>& names,
                                 std::chrono::seconds minAge);

// An exclusive flock on a lock file, held for the object's lifetime: it
// serialises read-modify-write of state files across processes.
class FileLock {
 public:
  explicit FileLock(const std::filesystem::path& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

}  // namespace giflab
