#include "common/store/atomic_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/base/error.hpp"

namespace giflab {
namespace fs = std::filesystem;

void throwStorageError(const std::string& what, const fs::path& p, int err) {
  throw Error(ErrorKind::Storage, what + " " + p.string() + ": " + std::strerror(err) +
                                      (err == ENOSPC || err == EDQUOT ? " (free some disk space, then try again)"
                                       : err == EACCES || err == EROFS || err == EPERM
                                           ? " (make the state folder writable, or pass --state-dir DIR)"
                                           : ""));
}

namespace {
[[noreturn]] void fail(const std::string& what, const fs::path& p, int err) { throwStorageError(what, p, err); }
}  // namespace

FileLock::FileLock(const fs::path& path) : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
  if (fd_ < 0) throwStorageError("cannot open the lock file", path, errno);
  while (::flock(fd_, LOCK_EX) != 0)
    if (errno != EINTR) {
      const int err = errno;
      ::close(fd_);
      throwStorageError("cannot lock", path, err);
    }
}

FileLock::~FileLock() { ::close(fd_); }

std::string describeNonRegular(const fs::file_status& status) {
  switch (status.type()) {
    case fs::file_type::directory: return "is a directory";
    case fs::file_type::character: return "is a character device (not a regular file)";
    case fs::file_type::block: return "is a block device (not a regular file)";
    case fs::file_type::fifo: return "is a named pipe (not a regular file)";
    case fs::file_type::socket: return "is a socket (not a regular file)";
    default: return "is not a regular file";
  }
}

size_t removeStaleTemporaryFiles(const fs::path& dir, const std::vector<std::string>& names,
                                 std::chrono::seconds minAge) {
  size_t removed = 0;
  std::error_code ec;
  const auto now = fs::file_time_type::clock::now();
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string f = it->path().filename().string();
    for (const auto& name : names) {
      // mkostemp's six characters after ".NAME."
      const std::string prefix = "." + name + ".";
      if (f.size() != prefix.size() + 6 || f.compare(0, prefix.size(), prefix) != 0) continue;
      std::error_code e;
      const auto written = fs::last_write_time(it->path(), e);
      if (e || now - written < minAge || !it->is_regular_file(e)) continue;
      if (fs::remove(it->path(), e)) ++removed;
    }
  }
  return removed;
}

void ensureDirectory(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail("cannot create the folder", dir, ec.value());
}

void writeFileAtomically(const fs::path& file, std::string_view contents) {
  const fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
  std::string tmpl = (dir / ("." + file.filename().string() + ".XXXXXX")).string();
  const int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0) fail("cannot create a temporary file in", dir, errno);
  auto cleanup = [&](int err) {
    ::close(fd);
    ::unlink(tmpl.c_str());
    fail("cannot write", file, err);
  };
  const char* p = contents.data();
  size_t left = contents.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      cleanup(errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fchmod(fd, 0644) != 0) cleanup(errno);
  if (::fsync(fd) != 0) cleanup(errno);
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmpl.c_str());
    fail("cannot write", file, err);
  }
  if (::rename(tmpl.c_str(), file.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmpl.c_str());
    fail("cannot replace", file, err);
  }
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace giflab
