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
# Neither the socket file (a journald that has gone leaves it behind) nor
# `logger --journald` (it exits 0 when nothing listens) proves that journald
# runs: the probe connect()s to the socket, sends an entry and reads it back
# with journalctl.
probe() { python3 scripts/journal-probe.py "$@"; }
rc=0
probe 5 2>/dev/null || rc=$?
if [ "$rc" -eq 1 ]; then
  mkdir -p /run/systemd/journal
  rm -f /run/systemd/journal/socket /run/systemd/journal/stdout /run/systemd/journal/dev-log
  echo "test-services: starting systemd-journald (nothing listened on /run/systemd/journal/socket)" >&2
  setsid /lib/systemd/systemd-journald </dev/null >/dev/null 2>&1 &
  for _ in $(seq 100); do [ -S /run/systemd/journal/socket ] && break; sleep 0.1; done
  rc=0
  probe 10 || rc=$?
fi
if [ "$rc" -ne 0 ]; then
  echo "test-services: systemd-journald does not store entries that journalctl can read back; run /lib/systemd/systemd-journald by hand to see why" >&2
  exit 1
fi
# The real sysusers.d entry creates the service user and group.
systemd-sysusers "$PWD/systemd/giflab-perfd.sysusers"
if ! id giflab-perf-tester >/dev/null 2>&1; then
  useradd --system --no-create-home --shell /usr/sbin/nologin --groups giflab-perf giflab-perf-tester
fi
