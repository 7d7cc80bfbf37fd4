#!/usr/bin/env bash
# `cmake --install build --prefix /usr` into a DESTDIR holds every file of a
# system service; the unit passes `systemd-analyze verify` with nothing on
# stderr and scores an exposure of 1.5 or lower.
# Usage: install-tree.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$(realpath "$1"); build=$(realpath "$2")
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
failures=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; failures=$((failures + 1)); fi; }

DESTDIR="$dest" cmake --install "$build" --prefix /usr >/dev/null
for f in usr/bin/giflab-perfctl usr/libexec/giflab-perfd/giflab-perfd usr/libexec/giflab-perfd/giflab-perf-exec usr/libexec/giflab-perfd/giflab-perf-control \
         usr/libexec/giflab-perfd/giflab-perfd-prometheus.so \
         etc/giflab-perfd/config.json lib/systemd/system/giflab-perfd.service \
         usr/lib/systemd/user/giflab-perfctl-notify.service usr/lib/systemd/catalog/giflab-perfd.catalog \
         usr/lib/sysusers.d/giflab-perfd.conf usr/share/dbus-1/system.d/org.giflab.Perf1.conf \
         usr/share/dbus-1/system-services/org.giflab.Perf1.service \
         usr/share/dbus-1/interfaces/org.giflab.Perf1.Manager.xml usr/share/dbus-1/interfaces/org.giflab.Perf1.Job.xml \
         usr/share/man/man8/giflab-perfd.8 usr/share/man/man1/giflab-perfctl.1 \
         usr/share/bash-completion/completions/giflab-perfctl usr/share/giflab-perfd/sample_gifs/small_1.gif; do
  check "installed $f" "[ -s '$dest/$f' ]"
done
check "the installed config points at the installed sample GIFs" \
  "grep -q '\"/usr/share/giflab-perfd/sample_gifs/small_\*.gif\"' '$dest/etc/giflab-perfd/config.json'"
check "the installed config is valid" \
  "'$dest/usr/bin/giflab-perfctl' --local --config '$dest/etc/giflab-perfd/config.json' --state-dir '$dest/s' --json status >/dev/null"
check "the activation file starts the unit" "grep -q '^SystemdService=giflab-perfd.service' '$dest/usr/share/dbus-1/system-services/org.giflab.Perf1.service'"
check "the policy file is well-formed XML for dbus-daemon" \
  "printf '<busconfig><type>system</type><listen>unix:tmpdir=/tmp</listen><include>%s</include></busconfig>' '$dest/usr/share/dbus-1/system.d/org.giflab.Perf1.conf' > '$dest/bus.conf' && dbus-daemon --config-file='$dest/bus.conf' --print-address --fork --print-pid > '$dest/bus.out' && kill \$(sed -n 2p '$dest/bus.out')"
check "the man pages render" "man -l '$dest/usr/share/man/man8/giflab-perfd.8' >/dev/null 2>&1 && man -l '$dest/usr/share/man/man1/giflab-perfctl.1' >/dev/null 2>&1"
check "bash completion loads" "bash -c 'source /usr/share/bash-completion/bash_completion 2>/dev/null; source \"$dest/usr/share/bash-completion/completions/giflab-perfctl\" && complete -p giflab-perfctl' >/dev/null"

# systemd-analyze verify exits 0 on unknown keys: any stderr is a failure.
# It wants the ExecStart binary and man pages in place, so the installed
# files are bound over the real paths in a private mount namespace.
# A namespace that cannot be made is a failure, not an empty (passing) stderr.
if [ "$(id -u)" -eq 0 ]; then
  unit="$dest/lib/systemd/system/giflab-perfd.service"
  verify_rc=0
  verify_err=$(unshare -m sh -c "
    mount -t tmpfs none /usr/libexec || exit 90
    mkdir -p /usr/libexec/giflab-perfd && cp '$dest/usr/libexec/giflab-perfd/giflab-perfd' /usr/libexec/giflab-perfd/ || exit 91
    MANPATH='$dest/usr/share/man' systemd-analyze verify '$unit' 2>&1 >/dev/null; exit 0" 2>&1) || verify_rc=$?
  check "the mount namespace for verify was made (unshare/mount exit $verify_rc)" "[ $verify_rc -eq 0 ] || { echo \"\$verify_err\"; false; }"
  check "systemd-analyze verify prints nothing on stderr" "[ $verify_rc -eq 0 ] && [ -z \"\$verify_err\" ] || { echo \"\$verify_err\"; false; }"
else
  echo "SKIP: verify needs root for a mount namespace"; exit 77
fi
exposure=$(systemd-analyze security --offline=true "$src/systemd/giflab-perfd.service" 2>/dev/null |
           sed -n 's/.*Overall exposure level for giflab-perfd.service: \([0-9.]*\).*/\1/p')
echo "exposure: $exposure"
check "exposure $exposure is 1.5 or lower" "awk -v e='$exposure' 'BEGIN { exit !(e != \"\" && e <= 1.5) }'"
if [ "$failures" -gt 0 ]; then echo "install tree: $failures failed"; exit 1; fi
echo "install tree: all checks passed"
