#!/usr/bin/env bash
# giflab-perfctl bisect on a real CPU-bound workload, quiet and beside a CPU
# hog pinned to the CPU the bisect runs on. A git repository of 24 commits
# whose run.sh runs gifsicle -O3 --lossy=80 --colors 128 on large_1.gif; from
# commit 15 on it also does CPU work of 25 % of gifsicle's own time. Prints
# a Markdown table: first bad commit named, steps, change measured, seconds.
#
# Usage: bench/live-bisect.sh [--out FILE.md]
# Not a test: what it measures is this machine's noise.
set -euo pipefail
cd "$(dirname "$0")/.."
out=""
[ "${1:-}" = "--out" ] && out="$2"
. bench/lib.sh

gif=$PWD/data/sample_gifs/large_1.gif
calibrate_work 0.25

repo=$work/pipeline
mkdir -p "$repo"
git -C "$repo" init -q
git -C "$repo" config user.email bench@example.org
git -C "$repo" config user.name bench
for i in $(seq 1 24); do
  extra=""
  [ "$i" -ge 15 ] && extra="\"$bin/giflab-test-workload\" --work $units"
  printf '#!/bin/sh\n# commit %s\ngifsicle -O3 --lossy=80 --colors 128 "$1" "#0-19" -o "$2" || exit 1\n%s\n' "$i" "$extra" > "$repo/run.sh"
  chmod +x "$repo/run.sh"
  git -C "$repo" add run.sh
  git -C "$repo" commit -q -m "commit $i"
done
good=$(git -C "$repo" rev-list --max-parents=0 HEAD)
cat > "$work/config.json" <<JSON
{"scenarios": [{"name": "lossy", "command": ["{worktree}/run.sh", "{input}", "{output}"],
                "data_pattern": "$gif", "iterations": 5, "warmup": 1}]}
JSON

bisect() {
  local started=$SECONDS
  "$@" "$bin/giflab-perfctl" --config "$work/config.json" --json bisect --repo "$repo" --good "$good" --bad HEAD \
    --scenario lossy > "$work/result.json" 2>/dev/null || true
  jq -r --arg s "$((SECONDS - started))" '
    "| \(.first_bad.subject // "none") | \(.steps | length) | \(.skipped | length) | " +
    (if .change then "\(.change.shift * 100 | floor) % (\(.change.shift_ci[0] * 100 | floor) to \(.change.shift_ci[1] * 100 | floor) %)" else "-" end) +
    " | \($s) |"' "$work/result.json"
}

{
  echo "| machine | first bad commit (truth: commit 15) | steps | skipped | change of the first bad (interval) | seconds |"
  echo "|---|---|---|---|---|---|"
  echo "| quiet $(bisect)"
  # The hog's output goes nowhere: it must not hold the table's pipe open.
  taskset -c 0 sh -c 'while :; do :; done' >/dev/null 2>&1 &
  hog=$!
  echo "| CPU hog pinned to CPU 0 with the bisect $(bisect taskset -c 0)"
  kill "$hog"
} > "$work/table.md"
cat "$work/table.md"
[ -z "$out" ] || cp "$work/table.md" "$out"
