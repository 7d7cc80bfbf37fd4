#pragma once
// The few git operations that tie a measurement to a commit: resolving
// revisions, listing the commits between two, and checkouts in temporary
// worktrees that leave the user's working tree and index alone. Every call
// runs the git program (it must be on PATH) and throws Error(InvalidArgument)
// naming the repository and what to do when git refuses.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace giflab {

struct CommitInfo {
  std::string hash;     // full
  std::string subject;  // first line of the message, printable
  std::string date;     // author date, ISO-8601 with its offset
};

class GitRepository {
 public:
  // Throws unless `folder` is inside a git working tree.
  explicit GitRepository(const std::filesystem::path& folder);

  const std::filesystem::path& top() const { return top_; }
  // The full hash of a revision that names a commit; nullopt when it does
  // not. A version from `git describe` (v1.2-3-gabc1234, with -dirty) resolves too.
  std::optional<std::string> resolve(const std::string& revision) const;
  CommitInfo describe(const std::string& hash) const;
  bool isAncestor(const std::string& older, const std::string& newer) const;
  // The commits after `good` up to and including `bad`, oldest first, on the
  // path between them (merges' side branches that do not lead to bad left out).
  std::vector<std::string> commitsBetween(const std::string& good, const std::string& bad) const;

  // git with these arguments in this repository; its stdout, or throws.
  std::string run(const std::vector<std::string>& args) const;

 private:
  std::filesystem::path top_;
};

// A detached checkout of one commit in a folder of its own, removed (and
// pruned from the repository's list) when this goes away, also while an
// exception (a cancellation) unwinds.
class TemporaryWorktree {
 public:
  TemporaryWorktree(const GitRepository& repo, const std::string& commit, const std::filesystem::path& folder);
  ~TemporaryWorktree();
  TemporaryWorktree(const TemporaryWorktree&) = delete;
  TemporaryWorktree& operator=(const TemporaryWorktree&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  const GitRepository& repo_;
  std::filesystem::path path_;
};

}  // namespace giflab
