#!/usr/bin/env bash
# Starts what the integration tests need and that a fresh machine may lack:
# systemd-journald (when nothing listens on its socket), the giflab-perf user and
# group from the shipped sysusers.d file, and an unprivileged member of that
# group for the access tests. Needs root; does nothing it need not do.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  echo "test-services: not root; the journald, group and access tests will be skipped" >&2
  exit 0
fi
# A socket file alone proves nothing: a journald that has gone leaves it behind,
# and entries sent to it are lost without an error. Writing one entry tells.
journald_listens() { echo "MESSAGE=giflab-perfd test-services: journald probe" | logger --journald 2>/dev/null; }
if ! journald_listens; then
  mkdir -p /run/systemd/journal /var/log/journal
  /lib/systemd/systemd-journald >/dev/null 2>&1 &
  for _ in $(seq 50); do journald_listens && break; sleep 0.1; done
  journald_listens || { echo "test-services: systemd-journald does not answer on /run/systemd/journal/socket; run /lib/systemd/systemd-journald by hand to see why" >&2; exit 1; }
fi
# The real sysusers.d entry creates the service user and group.
systemd-sysusers "$PWD/systemd/giflab-perfd.sysusers"
if ! id giflab-perf-tester >/dev/null 2>&1; then
  useradd --system --no-create-home --shell /usr/sbin/nologin --groups giflab-perf giflab-perf-tester
fi
