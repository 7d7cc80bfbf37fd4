#include "common/vcs/git.hpp"

#include <cstdlib>
#include <cstring>

#include "common/base/error.hpp"
#include "common/base/text.hpp"
#include "common/measure/runner.hpp"
#include "common/measure/version_probe.hpp"

namespace giflab {
namespace fs = std::filesystem;

namespace {

constexpr std::chrono::seconds kGitTimeout{120};
constexpr size_t kGitOutputBytes = 16 << 20;

CommandOutcome git(const fs::path& folder, const std::vector<std::string>& args) {
  std::vector<std::string> argv{"git", "-C", folder.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandOptions options;
  options.captureStdoutBytes = kGitOutputBytes;
  return runCommand(argv, kGitTimeout, nullptr, options);
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

GitRepository::GitRepository(const fs::path& folder) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec))
    throw Error(ErrorKind::InvalidArgument, folder.string() + ": no such folder; give --repo the folder of a git repository");
  const auto out = git(folder, {"rev-parse", "--show-toplevel"});
  if (out.execErrno)
    throw Error(ErrorKind::InvalidArgument, "cannot run git: " + std::string(std::strerror(out.execErrno)) +
                                                "; install git (apt install git)");
  if (!out.succeeded())
    throw Error(ErrorKind::InvalidArgument,
                folder.string() + " is not a git working tree; give --repo the folder of a git repository");
  top_ = trimmed(out.stdoutHead);
}

std::string GitRepository::run(const std::vector<std::string>& args) const {
  const auto out = git(top_, args);
  if (!out.succeeded()) {
    std::string command = "git";
    for (const auto& a : args) command += " " + a;
    throw Error(ErrorKind::InvalidArgument,
                "in " + top_.string() + ": " + printable(out.describeFailure(command, kGitTimeout.count())));
  }
  return out.stdoutHead;
}

std::optional<std::string> GitRepository::resolve(const std::string& revision) const {
  std::string rev = revision;
  // What `git describe --dirty` adds names no commit.
  for (const char* suffix : {"-dirty", "-broken"})
    if (rev.size() > std::strlen(suffix) && rev.compare(rev.size() - std::strlen(suffix), std::string::npos, suffix) == 0)
      rev.resize(rev.size() - std::strlen(suffix));
  // Not an option, not a range, nothing a shell or git would read twice.
  if (rev.empty() || rev.front() == '-' || rev.size() > kMaxVersionLength || !isPrintable(rev) ||
      rev.find_first_of(" \t\n:") != std::string::npos || rev.find("..") != std::string::npos)
    return std::nullopt;
  const auto out = git(top_, {"rev-parse", "--verify", "--quiet", rev + "^{commit}"});
  if (!out.succeeded()) return std::nullopt;
  return trimmed(out.stdoutHead);
}

CommitInfo GitRepository::describe(const std::string& hash) const {
  const std::string out = run({"show", "-s", "--format=%H%n%aI%n%s", hash});
  CommitInfo info;
  const auto first = out.find('\n');
  const auto second = out.find('\n', first + 1);
  info.hash = out.substr(0, first);
  info.date = out.substr(first + 1, second - first - 1);
  info.subject = printable(trimmed(out.substr(second + 1)));
  return info;
}

bool GitRepository::isAncestor(const std::string& older, const std::string& newer) const {
  const auto out = git(top_, {"merge-base", "--is-ancestor", older, newer});
  return out.succeeded();
}

std::vector<std::string> GitRepository::commitsBetween(const std::string& good, const std::string& bad) const {
  const std::string out = run({"rev-list", "--reverse", "--ancestry-path", good + ".." + bad});
  std::vector<std::string> commits;
  for (size_t start = 0; start < out.size();) {
    size_t end = out.find('\n', start);
    if (end == std::string::npos) end = out.size();
    if (end > start) commits.push_back(out.substr(start, end - start));
    start = end + 1;
  }
  return commits;
}

TemporaryWorktree::TemporaryWorktree(const GitRepository& repo, const std::string& commit, const fs::path& folder)
    : repo_(repo), path_(folder) {
  repo_.run({"worktree", "add", "--quiet", "--detach", path_.string(), commit});
}

TemporaryWorktree::~TemporaryWorktree() {
  // Never throws: a worktree that will not go is pruned with its folder.
  try {
    git(repo_.top(), {"worktree", "remove", "--force", "--force", path_.string()});
    std::error_code ec;
    fs::remove_all(path_, ec);
    git(repo_.top(), {"worktree", "prune"});
  } catch (...) {
  }
}

}  // namespace giflab
