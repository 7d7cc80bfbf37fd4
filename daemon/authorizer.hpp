#pragma once
// Who may change things: root and members of the admin group, looked up in
// the system's user and group databases.
#include <string>
#include <sys/types.h>

namespace giflab::daemon {

bool isAdmin(uid_t uid, const std::string& adminGroup);
// "run as root or join group giflab-perf" style advice, with the action named.
std::string accessDeniedMessage(const std::string& action, uid_t uid, const std::string& adminGroup);

}  // namespace giflab::daemon
