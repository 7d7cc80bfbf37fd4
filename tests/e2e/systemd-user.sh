#!/usr/bin/env bash
# End to end under a real `systemd --user` manager, with a user unit made
# from the shipped systemd/giflab-perfd.service minus what a user manager
# cannot do here (User=, Group=, ProtectHome=, ProtectKernelTunables=,
# ProtectKernelLogs=, the system-only alias). Checks: active only after
# READY=1, status answers on the user bus, reload reloads, a hung daemon is
# killed by the watchdog and restarted, stop exits cleanly with state intact,
# and gifsicle, a shell and python3 scenarios run under the hardening.
# Usage: systemd-user.sh SOURCE_DIR BUILD_DIR   (exit 77: skipped)
set -euo pipefail
src=$(realpath "$1"); build=$(realpath "$2")
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v systemd >/dev/null || { echo "SKIP: no systemd"; exit 77; }

created_run_dir=false
if [ ! -d /run/systemd/system ]; then mkdir -p /run/systemd/system; created_run_dir=true; fi
# Not under /tmp or /var/tmp (the build may be there): the unit's
# PrivateTmp= would hide it from the service. The programs are copied too,
# the measuring helper next to the daemon, as they are installed.
work=$(mktemp -d /var/lib/giflab-perfd-e2e.XXXXXX)
chmod 755 "$work"
mkdir -p "$work/bin"
cp "$build/bin/giflab-perfd" "$build/bin/giflab-perf-exec" "$build/bin/giflab-perf-control" "$build/bin/giflab-test-workload" "$work/bin/"
export XDG_RUNTIME_DIR="$work/runtime" HOME="$work/home"
mkdir -p "$XDG_RUNTIME_DIR" "$HOME/.config/systemd/user" "$work/state"
chmod 700 "$XDG_RUNTIME_DIR"
manager_pid=""
cleanup() {
  systemctl --user stop giflab-perfd.service >/dev/null 2>&1 || true
  [ -n "$manager_pid" ] && kill "$manager_pid" 2>/dev/null && wait "$manager_pid" 2>/dev/null || true
  $created_run_dir && rmdir /run/systemd/system 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- unit log"; journalctl --no-pager -n 40 _SYSTEMD_USER_UNIT=giflab-perfd.service 2>/dev/null || true; systemctl --user status giflab-perfd --no-pager 2>&1 | tail -20 || true; exit 1; }

systemd --user >"$work/manager.log" 2>&1 &
manager_pid=$!
for _ in $(seq 100); do [ -S "$XDG_RUNTIME_DIR/systemd/private" ] && break; sleep 0.1; done
[ -S "$XDG_RUNTIME_DIR/systemd/private" ] || { cat "$work/manager.log"; fail "systemd --user did not start"; }
export DBUS_SESSION_BUS_ADDRESS="unix:path=$XDG_RUNTIME_DIR/bus"

echo 0.02 > "$work/sleep"
# The hardening must leave real scenario commands working: gifsicle on a
# sample GIF, a shell and python3, besides the test workload.
mkdir -p "$work/data"
cp "$src/data/sample_gifs/small_1.gif" "$work/data/"
chmod -R a+rX "$work/data"
cat > "$work/config.json" <<JSON
{"performance": {"enabled": true, "monitoring_interval": 3600},
 "scenarios": [
  {"name": "e2e", "command": ["$work/bin/giflab-test-workload", "--sleep-file", "$work/sleep"], "iterations": 3},
  {"name": "gifsicle", "command": ["gifsicle", "-O3", "--lossy=80", "{input}", "-o", "{output}"],
   "data_pattern": "$work/data/*.gif", "expected_files": 1, "iterations": 3},
  {"name": "shell", "command": ["sh", "-c", "i=0; while [ \$i -lt 2000 ]; do i=\$((i+1)); done"], "iterations": 3},
  {"name": "python", "command": ["python3", "-c", "import hashlib, json; print(json.dumps(hashlib.sha256(b'x' * 10**6).hexdigest()))"], "iterations": 3}]}
JSON
unit="$HOME/.config/systemd/user/giflab-perfd.service"
sed -E \
  -e '/^(User|Group|ProtectHome|ProtectKernelTunables|ProtectKernelLogs|Alias)=/d' \
  -e "s|^ExecStart=.*|ExecStart=$work/bin/giflab-perfd --user --config $work/config.json --state-dir $work/state|" \
  -e 's|^WatchdogSec=.*|WatchdogSec=3|' \
  -e 's|^WantedBy=.*|WantedBy=default.target|' \
  -e "/^\[Service\]/a ReadWritePaths=$work/state" \
  "$src/systemd/giflab-perfd.service" > "$unit"
systemctl --user daemon-reload

ctl() { "$build/bin/giflab-perfctl" --user "$@"; }
prop() { systemctl --user show -P "$1" giflab-perfd.service; }

# 1. enable --now returns once READY=1 is in: active at once.
systemctl --user enable --now giflab-perfd.service || fail "enable --now failed"
[ "$(systemctl --user is-active giflab-perfd.service)" = active ] || fail "not active after start"
[ "$(prop Type)" = notify ] || fail "not Type=notify"
status_text=$(prop StatusText)
case "$status_text" in monitoring*) ;; *) fail "no STATUS= line: '$status_text'" ;; esac
echo "ok: active after READY=1; STATUS=$status_text"

# 2. status answers on the user bus.
grep -q "daemon:     running" <<<"$(ctl status)" || fail "giflab-perfctl --user status"
ctl baseline create --iterations 3 >/dev/null || fail "baseline create through the unit"
[ -s "$work/state/baselines.json" ] || fail "no baselines written"
echo "ok: giflab-perfctl --user status and baseline create"
check=$(ctl ci check --json) || true
for s in e2e gifsicle shell python; do
  st=$(jq -r --arg s "$s" '.scenarios_tested[] | select(.scenario == $s) | .status' <<<"$check")
  case "$st" in passed|regressed|inconclusive) ;; *) echo "$check" | jq -c --arg s "$s" '.scenarios_tested[] | select(.scenario == $s)'; fail "scenario $s under the hardened unit: '${st:-missing}'" ;; esac
done
echo "ok: gifsicle, a shell and python3 run under the hardened unit"

# 3. reload re-reads the config.
sed -i 's/"monitoring_interval": 3600/"monitoring_interval": 1800/' "$work/config.json"
systemctl --user reload giflab-perfd.service || fail "reload"
for _ in $(seq 50); do
  [ "$(busctl --user get-property org.giflab.Perf1 /org/giflab/Perf1 org.giflab.Perf1.Manager MonitorInterval)" = "t 1800" ] && break
  sleep 0.1
done
[ "$(busctl --user get-property org.giflab.Perf1 /org/giflab/Perf1 org.giflab.Perf1.Manager MonitorInterval)" = "t 1800" ] ||
  fail "reload did not apply the new interval"
echo "ok: reload"

# 4. A hung daemon (stopped, so it cannot pet the watchdog) is killed and restarted.
old_pid=$(prop MainPID)
kill -STOP "$old_pid"
for _ in $(seq 150); do
  new_pid=$(prop MainPID)
  [ "$new_pid" != "$old_pid" ] && [ "$new_pid" != 0 ] && [ "$(systemctl --user is-active giflab-perfd.service)" = active ] && break
  sleep 0.1
done
[ "$(prop MainPID)" != "$old_pid" ] || fail "the watchdog did not replace the hung daemon"
[ "$(prop NRestarts)" -ge 1 ] || fail "no restart counted"
ctl status >/dev/null || fail "status after the watchdog restart"
echo "ok: watchdog killed the hung daemon (pid $old_pid) and systemd restarted it (pid $(prop MainPID))"

# 5. stop exits cleanly, state intact.
before=$(sha256sum "$work/state/baselines.json")
systemctl --user stop giflab-perfd.service
[ "$(prop Result)" = success ] || fail "stop result $(prop Result)"
[ "$(prop ExecMainStatus)" = 0 ] || fail "exit status $(prop ExecMainStatus)"
[ "$(sha256sum "$work/state/baselines.json")" = "$before" ] || fail "baselines changed by stop"
[ -s "$work/state/history.jsonl" ] || fail "history lost"
echo "ok: stop exits 0 with state intact"
echo "systemd --user end-to-end: 6 passed, 0 failed"
