#include "daemon/authorizer.hpp"

#include <grp.h>
#include <pwd.h>

#include <algorithm>
#include <vector>

namespace giflab::daemon {

bool isAdmin(uid_t uid, const std::string& adminGroup) {
  if (uid == 0) return true;
  std::vector<char> buf(16384);
  group gr{};
  group* grp = nullptr;
  if (getgrnam_r(adminGroup.c_str(), &gr, buf.data(), buf.size(), &grp) != 0 || !grp) return false;
  const gid_t adminGid = grp->gr_gid;
  std::vector<char> pbuf(16384);
  passwd pw{};
  passwd* pwp = nullptr;
  if (getpwuid_r(uid, &pw, pbuf.data(), pbuf.size(), &pwp) != 0 || !pwp) return false;
  if (pwp->pw_gid == adminGid) return true;
  int n = 64;
  std::vector<gid_t> groups(static_cast<size_t>(n));
  if (getgrouplist(pwp->pw_name, pwp->pw_gid, groups.data(), &n) < 0) {
    groups.resize(static_cast<size_t>(n));
    if (getgrouplist(pwp->pw_name, pwp->pw_gid, groups.data(), &n) < 0) return false;
  }
  groups.resize(static_cast<size_t>(n));
  return std::find(groups.begin(), groups.end(), adminGid) != groups.end();
}

std::string accessDeniedMessage(const std::string& action, uid_t uid, const std::string& adminGroup) {
  return action + " needs administrator rights and uid " + std::to_string(uid) +
         " has none: run as root or join group " + adminGroup + " (usermod -aG " + adminGroup + " USER)";
}

}  // namespace giflab::daemon
