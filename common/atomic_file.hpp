#pragma once
// Replace a file so that a crash at any instant leaves either the old or the
// new contents: write a temporary file, fsync it, rename over, fsync the folder.
#include <filesystem>
#include <string_view>

namespace giflab {

void writeFileAtomically(const std::filesystem::path& file, std::string_view contents);
// mkdir -p with a message that says what to do when it fails.
void ensureDirectory(const std::filesystem::path& dir);

}  // namespace giflab
