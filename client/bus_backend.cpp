#include "client/bus_backend.hpp"

#include "common/error.hpp"

namespace giflab::cli {

namespace {
std::string busName(BusTarget t) {
  return t == BusTarget::Session ? "session bus" : t == BusTarget::Address ? "given bus" : "system bus";
}
}  // namespace

std::unique_ptr<Backend> makeBusBackend(BusTarget target, const std::string&, bool) {
  // The daemon (issue 3) is not part of this build yet.
  throw Error(ErrorKind::Internal, "giflab-perfd is not running on the " + busName(target) +
                                       " (start it with systemctl start giflab-perfd, or use --local)");
}

int runWatch(Backend&, bool, bool) {
  throw Error(ErrorKind::Internal, "watch needs the daemon; it is not part of this build yet");
}

int writeReport(Backend&, const std::string&) {
  throw Error(ErrorKind::Internal, "report is not part of this build yet");
}

}  // namespace giflab::cli
