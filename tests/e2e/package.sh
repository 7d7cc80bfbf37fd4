#!/usr/bin/env bash
# The Debian package: builds with dpkg-buildpackage, lintian reports no error,
# installing creates the service user and group and puts unit, policy,
# activation file, config, man pages and completion in place; purge removes
# them. Installs on this machine, so it needs root (exit 77: skipped).
# Usage: package.sh SOURCE_DIR
set -euo pipefail
src=$(realpath "$1")
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
for t in dpkg-buildpackage lintian dh; do command -v $t >/dev/null || { echo "SKIP: $t missing (scripts/install-deps.sh)"; exit 77; }; done
# On a machine booted with systemd the postinst would start the unit in the
# machine's own manager: there the test runs in a mount namespace whose
# /run/systemd is empty, so the maintainer scripts see no running systemd.
if [ -d /run/systemd/system ] && [ -z "${GIFLAB_PACKAGE_TEST_HIDDEN_SYSTEMD:-}" ]; then
  command -v unshare >/dev/null || { echo "FAIL: /run/systemd/system exists and unshare is missing to hide it"; exit 1; }
  export GIFLAB_PACKAGE_TEST_HIDDEN_SYSTEMD=1
  exec unshare --mount --propagation private bash -c 'mount -t tmpfs tmpfs /run/systemd && exec bash "$0" "$@"' "$0" "$@"
fi
[ -d /run/systemd/system ] && { echo "FAIL: /run/systemd/system is still visible"; exit 1; }
failures=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; failures=$((failures + 1)); fi; }
restore_group_member() { id giflab-perf-tester >/dev/null 2>&1 && getent group giflab-perf >/dev/null && usermod -aG giflab-perf giflab-perf-tester || true; }
trap restore_group_member EXIT

"$src/scripts/build-deb.sh"
deb=$(ls "$src"/build/deb/giflab-perfd_*_amd64.deb | tail -1)
check "lintian found no errors" "! grep -q '^E:' '$src/build/deb/lintian.txt'"

# A machine without the user: the package must create it.
dpkg -s giflab-perfd >/dev/null 2>&1 && dpkg --purge giflab-perfd >/dev/null
getent passwd giflab-perf >/dev/null && userdel giflab-perf 2>/dev/null || true
getent group giflab-perf >/dev/null && groupdel giflab-perf 2>/dev/null || true
dpkg -i "$deb" >/dev/null
check "the user giflab-perf exists" "getent passwd giflab-perf >/dev/null"
check "the group giflab-perf exists" "getent group giflab-perf >/dev/null"
files="/usr/bin/giflab-perfctl /usr/libexec/giflab-perfd/giflab-perfd /usr/libexec/giflab-perfd/giflab-perf-exec /usr/libexec/giflab-perfd/giflab-perf-control
       /usr/libexec/giflab-perfd/giflab-perfd-prometheus.so
       /lib/systemd/system/giflab-perfd.service /usr/share/dbus-1/system.d/org.giflab.Perf1.conf
       /usr/share/dbus-1/system-services/org.giflab.Perf1.service /etc/giflab-perfd/config.json
       /usr/share/man/man8/giflab-perfd.8.gz /usr/share/man/man1/giflab-perfctl.1.gz
       /usr/share/bash-completion/completions/giflab-perfctl /usr/lib/sysusers.d/giflab-perfd.conf
       /usr/lib/systemd/catalog/giflab-perfd.catalog /usr/share/giflab-perfd/sample_gifs/small_1.gif"
for f in $files; do check "installed $f" "[ -e $f ]"; done
check "the config is a conffile" "dpkg-query -W -f='\${Conffiles}' giflab-perfd | grep -q /etc/giflab-perfd/config.json"
check "the unit is enabled" "[ -L /etc/systemd/system/multi-user.target.wants/giflab-perfd.service ]"
check "the installed tools run" "giflab-perfctl --local --config /etc/giflab-perfd/config.json --state-dir /tmp/pkg-state.\$\$ deps check >/dev/null"
mkdir -p /var/lib/giflab-perfd && echo '{}' > /var/lib/giflab-perfd/marker
dpkg --purge giflab-perfd >/dev/null
for f in $files /var/lib/giflab-perfd; do check "purged $f" "[ ! -e $f ]"; done
rm -rf /tmp/pkg-state.*
systemd-sysusers "$src/systemd/giflab-perfd.sysusers" >/dev/null
if [ "$failures" -gt 0 ]; then echo "package: $failures failed"; exit 1; fi
echo "package: all checks passed"
