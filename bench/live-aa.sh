#!/usr/bin/env bash
# A live A/A run of the real daemon on the shipped config: giflab-perfd on a
# private session bus, the shipped scenarios (real gifsicle on the sample
# GIFs), baselines created through the daemon, monitoring every 15 s for
# MINUTES. Counts the regressions it opens for an unchanged pipeline, and the
# machine shifts it announces. With --slow-at M, large_gif_lossy does 30 %
# more work from minute M on (gifsicle, then CPU work of 30 % of gifsicle's
# own time): it must open once, within two cycles, and nothing else may open.
#
# --keep DIR keeps the daemon's log and state (history, alerts) and a sample
# every 5 s of how long tasks waited for a CPU (/proc/pressure/cpu, total µs)
# and of the time the hypervisor stole (/proc/stat, ticks), to tell afterwards
# what the machine did when something opened.
#
# Usage: bench/live-aa.sh [MINUTES] [--slow-at M] [--out FILE.json] [--keep DIR]
# Not a test: it takes MINUTES, and what it measures is this machine's noise.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=30 slow_at="" out="" keep=""
while [ $# -gt 0 ]; do
  case "$1" in
    --slow-at) slow_at="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --keep) keep=$(realpath -m "$2"); shift 2 ;;
    *) minutes="$1"; shift ;;
  esac
done
. bench/lib.sh

# 30 % of gifsicle's own time on large_1.gif, in work units of the test workload.
calibrate_work 0.3

# The shipped config, monitoring on every 15 s; large_gif_lossy through a
# wrapper that adds the work once the flag file exists (it costs a shell's
# start in every run, before and after).
flag=$work/slow
jq --arg flag "$flag" --arg w "$bin/giflab-test-workload" --arg units "$units" --arg data "$PWD/data/sample_gifs" '
  .performance.enabled = true | .performance.monitoring_interval = 15
  | .scenarios |= map(.data_pattern = ($data + "/" + (.data_pattern | split("/") | last)))
  | .scenarios |= map(if .name == "large_gif_lossy" then
      .command = ["sh", "-c", "gifsicle -O3 --lossy=80 --colors 128 \"$1\" \"#0-$3\" -o \"$2\" && if [ -e \"$4\" ]; then exec \"$5\" --work \"$6\"; fi",
                  "sh", "{input}", "{output}", "{max_frames}", $flag, $w, $units]
    else . end)' config/config.json > "$work/config.json"

read -r bus_address bus_pid < <(dbus-daemon --session --fork --print-address=1 --print-pid=1 | paste -sd' ')
pids+=("$bus_pid")
export DBUS_SESSION_BUS_ADDRESS=$bus_address
"$bin/giflab-perfd" --user --config "$work/config.json" --state-dir "$work/state" 2> "$work/daemon.log" &
pids+=("$!")
ctl() { "$bin/giflab-perfctl" --user "$@"; }
for _ in $(seq 100); do ctl status >/dev/null 2>&1 && break; sleep 0.1; done
ctl baseline create >/dev/null
ctl --json watch > "$work/signals.jsonl" 2> "$work/watch.err" &
pids+=("$!")
for _ in $(seq 100); do grep -q Watching "$work/watch.err" && break; sleep 0.1; done
ctl monitor start >/dev/null
(while :; do
   echo "$(date -u +%FT%TZ) $(awk '/^some/ { sub("total=", "", $5); print $5 }' /proc/pressure/cpu 2>/dev/null) $(awk '/^cpu / { print $9 }' /proc/stat)"
   sleep 5
 done > "$work/machine.txt") &
pids+=("$!")
began=$(date +%s)
echo "== monitoring for $minutes minutes${slow_at:+, large_gif_lossy 30 % slower from minute $slow_at}" >&2
slowed_at=""
while [ $(( $(date +%s) - began )) -lt $(( minutes * 60 )) ]; do
  if [ -n "$slow_at" ] && [ -z "$slowed_at" ] && [ $(( $(date +%s) - began )) -ge $(( slow_at * 60 )) ]; then
    touch "$flag"
    slowed_at=$(ctl --json status | jq '.monitor.cycles')
    echo "== slowed at cycle $slowed_at" >&2
  fi
  sleep 5
done
status=$(ctl --json status)
cycles=$(echo "$status" | jq '.monitor.cycles')
opened=$(grep -c '"RegressionDetected"' "$work/signals.jsonl" || true)
machine=$(grep -c '"EnvironmentChanged"' "$work/signals.jsonl" || true)
checks=$(( cycles * 3 ))
result=$(jq -n --argjson minutes "$minutes" --argjson cycles "$cycles" --argjson checks "$checks" \
  --argjson opened "$opened" --argjson machine "$machine" --arg slow_at "$slow_at" --arg slowed_at "$slowed_at" \
  --slurpfile signals <(cat "$work/signals.jsonl") --argjson gif_ms "$gif_ms" --argjson units "$units" '
  {minutes: $minutes, interval_s: 15, cycles: $cycles, scenario_checks: $checks,
   regressions_opened: $opened, openings_per_100_checks: (if $checks > 0 then 100 * $opened / $checks else null end),
   environment_changes: $machine, slowed_from_minute: $slow_at, slowed_at_cycle: $slowed_at,
   gifsicle_large_ms: $gif_ms, added_work_units: $units, signals: $signals}')
echo "$result" | jq 'del(.signals)'
[ -n "$out" ] && echo "$result" > "$out"
if [ -n "$keep" ]; then
  mkdir -p "$keep"
  cp "$work/daemon.log" "$work/signals.jsonl" "$work/machine.txt" "$work/config.json" "$keep/"
  cp -r "$work/state" "$keep/"
fi
exit 0
