#!/usr/bin/env bash
# scripts/test-services.sh on a machine where journald never ran: in a private
# mount and PID namespace with empty tmpfs over /run/systemd, /run/log and
# /var/log/journal it must start systemd-journald, which then stores a probe
# entry that journalctl reads back; run again, it must start none. Everything
# it started dies with the namespace.
# Usage: journald.sh SOURCE_DIR
set -euo pipefail
src=$(realpath "$1")
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for a mount namespace"; exit 77; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT
rc=0
unshare --mount --pid --fork --mount-proc bash -euo pipefail -c '
  for d in /run/systemd /run/log /var/log/journal; do mkdir -p "$d"; mount -t tmpfs tmpfs "$d" || exit 90; done
  cd "$1"
  [ -z "$(pgrep -x systemd-journal)" ] || { echo "a journald runs before the test"; exit 91; }
  python3 scripts/journal-probe.py 1 2>/dev/null && { echo "the probe passed with no journald"; exit 92; }
  scripts/test-services.sh
  echo "journalds-after-first=$(pgrep -c -x systemd-journal || true)"
  python3 scripts/journal-probe.py 5 && echo "probe-read-back=yes"
  first=$(pgrep -x systemd-journal)
  scripts/test-services.sh
  echo "journalds-after-second=$(pgrep -c -x systemd-journal || true)"
  [ "$(pgrep -x systemd-journal)" = "$first" ] && echo "same-journald=yes"
' bash "$src" >"$out" 2>&1 || rc=$?
cat "$out"
failures=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; failures=$((failures + 1)); fi; }
check "the namespace was made and started empty (exit $rc)" "[ $rc -eq 0 ]"
check "test-services started one journald" "grep -qx 'journalds-after-first=1' '$out'"
check "journalctl reads the probe entry back" "grep -qx 'probe-read-back=yes' '$out'"
check "a second run starts none" "grep -qx 'journalds-after-second=1' '$out' && grep -qx 'same-journald=yes' '$out'"
if [ "$failures" -gt 0 ]; then echo "journald: $failures failed"; exit 1; fi
echo "journald: all checks passed"
