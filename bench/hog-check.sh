#!/usr/bin/env bash
# The machine made slower for every workload, by hand: the shipped scenarios
# (real gifsicle) through `giflab-perfctl --local ci check`, the client, its
# children and a CPU hog pinned with taskset to one CPU. Baselines quiet,
# then CHECKS checks each: quiet; with the hog (every scenario about twice as
# slow: `environment`, no regression); with the hog and large_gif_lossy 30 %
# slower on top (gifsicle, then CPU work of 30 % of its time: a regression
# of about that size relative to the machine, the others `environment`).
# Prints one line per scenario and check. Not a test: it measures this
# machine; the daemon's own test of the same is in tests/test_daemon.cpp.
#
# Usage: bench/hog-check.sh [CHECKS]
set -euo pipefail
cd "$(dirname "$0")/.."
checks="${1:-2}"
. bench/lib.sh
calibrate_work 0.3
flag=$work/slow
jq --arg flag "$flag" --arg w "$bin/giflab-test-workload" --arg units "$units" --arg data "$PWD/data/sample_gifs" '
  .scenarios |= map(.data_pattern = ($data + "/" + (.data_pattern | split("/") | last)))
  | .scenarios |= map(if .name == "large_gif_lossy" then
      .command = ["sh", "-c", "gifsicle -O3 --lossy=80 --colors 128 \"$1\" \"#0-$3\" -o \"$2\" && if [ -e \"$4\" ]; then exec \"$5\" --work \"$6\"; fi",
                  "sh", "{input}", "{output}", "{max_frames}", $flag, $w, $units]
    else . end)' config/config.json > "$work/config.json"
ctl() { taskset -c 0 "$bin/giflab-perfctl" --local --config "$work/config.json" --state-dir "$work/state" "$@"; }
ctl baseline create >/dev/null
report() {
  ctl --json ci check | jq -r --arg what "$1" '
    .machine as $m | .scenarios_tested[] |
    (.metrics[] | select(.metric == "processing_time")) as $t |
    "\($what)\t\(.scenario)\t\($t.verdict)\tmachine \($m.factor // 1 | . * 100 | round / 100)\trelative \($t.relative_change * 1000 | round / 10) %\tmeasured \(($t.measured_relative_change // $t.relative_change) * 1000 | round / 10) %\t\(.runs) runs, \(.stopped)"'
}
for _ in $(seq "$checks"); do report quiet; done
taskset -c 0 sh -c 'while :; do :; done' >/dev/null 2>&1 &
pids+=("$!")
sleep 1
for _ in $(seq "$checks"); do report hog; done
touch "$flag"
for _ in $(seq "$checks"); do report "hog, large_gif_lossy +30 %"; done
