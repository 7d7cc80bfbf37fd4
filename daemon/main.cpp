// giflab-perfd: argument parsing only; the service is in service.cpp.
#include <cstdio>
#include <cstring>
#include <string>

#include "common/base/version.hpp"
#include "daemon/logging.hpp"
#include "daemon/service.hpp"

namespace {

const char* kUsage =
    "Usage: giflab-perfd [--system | --user | --address ADDRESS] [--config FILE] [--state-dir DIR] [--debug]\n"
    "\n"
    "The GifLab performance monitor daemon: owns org.giflab.Perf1, runs the monitoring loop,\n"
    "keeps baselines and history, and raises regression alerts on D-Bus and in the journal.\n"
    "\n"
    "  --system          the system bus (default; DBUS_SYSTEM_BUS_ADDRESS is honoured)\n"
    "  --user            the session bus, with XDG config and state paths\n"
    "  --address ADDR    the bus at this D-Bus address\n"
    "  --config FILE     config file (default /etc/giflab-perfd/config.json)\n"
    "  --state-dir DIR   state folder (default /var/lib/giflab-perfd)\n"
    "  --debug           verbose logging\n"
    "  --version, --help\n";

}  // namespace

int main(int argc, char** argv) {
  giflab::daemon::ServiceOptions o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* name) -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "giflab-perfd: %s needs a value\n%s", name, kUsage);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--system") o.bus = giflab::daemon::ServiceOptions::Bus::System;
    else if (a == "--user") o.bus = giflab::daemon::ServiceOptions::Bus::Session;
    else if (a == "--address") o.bus = giflab::daemon::ServiceOptions::Bus::Address, o.address = value("--address");
    else if (a == "--config") o.config = value("--config");
    else if (a == "--state-dir") o.stateDir = value("--state-dir");
    else if (a == "--debug") o.debug = true;
    else if (a == "--version") return std::printf("giflab-perfd %s\n", giflab::kVersion), 0;
    else if (a == "--help" || a == "-h") return std::fputs(kUsage, stdout), 0;
    else {
      std::fprintf(stderr, "giflab-perfd: unknown option %s\n%s", a.c_str(), kUsage);
      return 2;
    }
  }
  giflab::daemon::setupLogging(o.debug);
  return giflab::daemon::runService(o);
}
