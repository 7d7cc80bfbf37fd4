#!/usr/bin/env bash
# How well the control follows what the scenarios feel, on this machine:
# baselines of the shipped config with ROUNDS interleaved rounds (each round
# a run of every scenario and two of the control), then, per scenario, the
# log-times' covariance with the control split into a wobble they share
# (load that slows both within a check, which the run-by-run ratio removes)
# and each one's own noise (which the ratio adds). The figures behind the
# simulator's machine drift (bench/eval/evaluation.cpp, kSharedWobble and
# kControlOwnCv). With --control BINARY, that binary stands in for the
# built-in control (to compare a candidate with the current one in one go).
#
# Usage: bench/control-noise.sh [ROUNDS] [--control BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=30 candidate=""
while [ $# -gt 0 ]; do
  case "$1" in
    --control) candidate=$(realpath "$2"); shift 2 ;;
    *) rounds="$1"; shift ;;
  esac
done
. bench/lib.sh
mkdir -p "$work/cfg"
config=$work/cfg/config.json
if [ -n "$candidate" ]; then
  # The candidate as the config's own control scenario.
  jq --arg c "$candidate" '.scenarios += [{"name": "candidate_control", "command": [$c], "iterations": 5,
     "warmup": 1, "timeout": 60, "monitored": false, "expected_files": 0}]
     | .performance.control = {"scenario": "candidate_control"}' config/config.json > "$config"
else
  cp config/config.json "$config"
fi
# Relative data paths resolve from the config's folder.
ln -s "$PWD/data" "$work/data"
"$bin/giflab-perfctl" --local --config "$config" --state-dir "$work/state" baseline create --iterations "$rounds" >/dev/null
/usr/bin/python3 - "$work/state/baselines.json" <<'PY'
import json, sys
import numpy as np
baselines = json.load(open(sys.argv[1]))["baselines"]
print(f"{'scenario':24} {'shared wobble':>13} {'control own':>11} {'scenario own':>12} {'corr':>5}")
for name, b in sorted(baselines.items()):
    s = b["samples"]
    if "control_processing_time" not in s or name == "candidate_control":
        continue
    c, p = np.log(s["control_processing_time"]), np.log(s["processing_time"])
    cov = np.cov(c, p)[0, 1]
    own = lambda v: np.sqrt(max(np.var(v, ddof=1) - cov, 0))
    print(f"{name:24} {np.sqrt(max(cov, 0)):13.3f} {own(c):11.3f} {own(p):12.3f} {np.corrcoef(c, p)[0, 1]:5.2f}")
PY
