#pragma once
// Replace a file so that a crash at any instant leaves either the old or the
// new contents: write a temporary file, fsync it, rename over, fsync the folder.
#include <filesystem>
#include <string>
#include <string_view>

namespace giflab {

void writeFileAtomically(const std::filesystem::path& file, std::string_view contents);
// mkdir -p with a message that says what to do when it fails.
void ensureDirectory(const std::filesystem::path& dir);
// Error(Storage): "<what> <path>: <strerror>" and what to do about it
// (free disk space, make the state folder writable).
[[noreturn]] void throwStorageError(const std::string& what, const std::filesystem::path& path, int err);

}  // namespace giflab
