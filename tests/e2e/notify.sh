#!/usr/bin/env bash
# `giflab-perfctl watch --notify` against a real notification server: dunst
# (Debian) on a headless X server (Xvfb) and a private session bus. A slowed
# scenario must produce a desktop notification that names it, with the
# severity as urgency.
# Usage: notify.sh SOURCE_DIR BUILD_DIR   (exit 77: skipped)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
src=$(realpath "$1"); build=$(realpath "$2")
for t in Xvfb dunst dunstctl dbus-daemon jq; do command -v $t >/dev/null || { echo "SKIP: $t missing"; exit 77; }; done
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; tail -20 "$work"/*.log 2>/dev/null || true; exit 1; }

display=":$((100 + RANDOM % 800))"
Xvfb "$display" -screen 0 1024x768x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
pids+=("$!")
start_session_bus
export DISPLAY="$display" HOME="$work"
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X${display#:}" ] && break; sleep 0.1; done
dunst >"$work/dunst.log" 2>&1 &
pids+=("$!")
for _ in $(seq 100); do dunstctl count displayed >/dev/null 2>&1 && break; sleep 0.1; done
dunstctl count displayed >/dev/null 2>&1 || fail "dunst did not start"

start_daemon notify_me ""
dbus-monitor --session "type='method_call',interface='org.freedesktop.Notifications',member='Notify'" >"$work/calls.log" 2>&1 &
pids+=("$!")
ctl watch --notify >"$work/watch.log" 2>&1 &
pids+=("$!")
for _ in $(seq 100); do grep -q Watching "$work/watch.log" && break; sleep 0.1; done  # subscribed
echo 0.1 > "$work/sleep"   # five times as slow: critical beyond doubt, even on a busy machine
for _ in $(seq 150); do [ "$(dunstctl count displayed)" -ge 1 ] && break; sleep 0.1; done
[ "$(dunstctl count displayed)" -ge 1 ] || fail "no notification on the desktop"
dunstctl close-all
sleep 0.3
dunstctl history > "$work/history.json"
summary=$(jq -r '.data[0][0].summary.data' "$work/history.json")
body=$(jq -r '.data[0][0].body.data' "$work/history.json")
category=$(jq -r '.data[0][0].category.data' "$work/history.json")
# dunst keeps no urgency in its history: read the hint off the call itself.
urgency=$(grep -A1 'string "urgency"' "$work/calls.log" | sed -n 's/.*variant *byte \([0-9]\).*/\1/p' | head -1)
appname=$(jq -r '.data[0][0].appname.data' "$work/history.json")
echo "notification: [urgency $urgency, $category] $appname: $summary / $body"
case "$summary" in *notify_me*) ;; *) fail "the summary does not name the scenario" ;; esac
case "$body" in *"worse than its baseline"*) ;; *) fail "the body does not explain the regression" ;; esac
[ "$appname" = giflab-perfd ] || fail "app name $appname"
[ "$urgency" = 2 ] || fail "urgency '$urgency' for a critical regression (want 2)"
[ "$category" = giflab.regression ] || fail "category $category"
grep -q "RegressionDetected" "$work/watch.log" || fail "watch did not print the signal"
# The user unit that runs it at login is valid: nothing on stderr but the
# absence of the installed binary and man page in this uninstalled tree.
verify_out=$(systemd-analyze verify "$src/systemd/giflab-perfctl-notify.service" 2>&1 |
             grep -v -e 'giflab-perfctl is not executable' -e "man giflab-perfctl(1)" || true)
[ -z "$verify_out" ] || fail "the notify unit does not verify: $verify_out"
echo "notify end-to-end: a slowed scenario became a desktop notification"
