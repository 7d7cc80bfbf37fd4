#!/usr/bin/env bash
# The main job: giflab-perfd on the shipped default config, on the user's
# session bus (a private one is started when there is none). Creates the
# baselines through the daemon when there are none, waits for the first
# monitoring cycle against them and shows `giflab-perfctl status`.
# The daemon is stopped at the end; pass --keep to leave it running.
set -euo pipefail
cd "$(dirname "$0")/.."
keep=false
[ "${1:-}" = "--keep" ] && keep=true
scripts/install-deps.sh
scripts/build.sh >/dev/null

state="${GIFLAB_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/giflab-perfd-default}"
mkdir -p "$state"
# The shipped config with monitoring on and a short interval, so that a cycle
# shows within seconds. It lives in build/, a sibling of config/, so the
# config's relative data paths still resolve.
config=build/main-job-config.json
jq '.performance.enabled = true | .performance.monitoring_interval = 20' config/config.json > "$config"

if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
  read -r DBUS_SESSION_BUS_ADDRESS bus_pid < <(dbus-daemon --session --fork --print-address=1 --print-pid=1 | paste -sd' ')
  export DBUS_SESSION_BUS_ADDRESS
  echo "== Started a session bus at $DBUS_SESSION_BUS_ADDRESS"
fi
ctl=(build/bin/giflab-perfctl --user)
build/bin/giflab-perfd --user --config "$config" --state-dir "$state" 2> "$state/daemon.log" &
daemon_pid=$!
cleanup() {
  if ! $keep; then
    kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null || true
    [ -n "${bus_pid:-}" ] && kill "$bus_pid" 2>/dev/null || true
  else
    echo "giflab-perfd keeps running (pid $daemon_pid) on $DBUS_SESSION_BUS_ADDRESS; log in $state/daemon.log"
  fi
}
trap cleanup EXIT
for _ in $(seq 100); do "${ctl[@]}" status >/dev/null 2>&1 && break; sleep 0.1; done
echo "== giflab-perfd is running (log: $state/daemon.log)"

if ! "${ctl[@]}" baseline list --json | jq -e '.baselines | length > 0' >/dev/null; then
  echo "== Creating baselines through the daemon"
  "${ctl[@]}" baseline create
fi
before=$("${ctl[@]}" --json status | jq -r '.monitor.cycles')
echo "== Waiting for the next monitoring cycle (every 20 s)"
for _ in $(seq 600); do
  now=$("${ctl[@]}" --json status | jq -r '.monitor.cycles')
  [ "$now" -gt "$before" ] && break
  sleep 0.1
done
"${ctl[@]}" status
echo
"${ctl[@]}" history --days 1 | tail -n 8
