#!/usr/bin/env bash
# What a neighbour that streams through memory (as the detection evaluation
# does: one core, hundreds of MB of arrays) does to the scenarios and to the
# control: the shipped config's scenarios measured pinned to CPU 0, in
# PHASES alternating phases, quiet and beside the neighbour pinned to CPU 1;
# per scenario and control, the ratio of medians neighbour / quiet. A control
# that tells a slower machine from a slower pipeline slows as much as the
# scenarios do. Each --candidate BINARY is measured too, as an unmonitored
# scenario, to compare candidate controls with the built-in one in one go.
#
# --neighbour compile: two compilers of the daemon's largest file in a loop,
# on any CPU (the scenarios' too), as a build beside the daemon does: the
# run queue, not the memory, is then what is shared.
#
# Usage: bench/neighbour-check.sh [--rounds N] [--phases N] [--neighbour memory|compile] [--candidate BINARY]...
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=8 phases=4 kind_of_neighbour=memory candidates=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --phases) phases=$2; shift 2 ;;
    --neighbour) kind_of_neighbour=$2; shift 2 ;;
    --candidate) candidates+=("$(realpath "$2")"); shift 2 ;;
    *) echo "usage: $0 [--rounds N] [--phases N] [--neighbour memory|compile] [--candidate BINARY]..." >&2; exit 2 ;;
  esac
done
[ "$(nproc)" -ge 2 ] || { echo "needs 2 CPUs: the neighbour runs on the other one" >&2; exit 77; }
. bench/lib.sh
mkdir -p "$work/cfg"
config=$work/cfg/config.json
cp config/config.json "$config"
for c in "${candidates[@]}"; do
  jq --arg c "$c" --arg n "candidate_$(basename "$c")" '.scenarios += [{"name": $n, "command": [$c], "iterations": 5,
     "warmup": 1, "timeout": 60, "monitored": false, "expected_files": 0}]' "$config" > "$config.new"
  mv "$config.new" "$config"
done
ln -s "$PWD/data" "$work/data"

# The neighbour runs in a process group of its own, so that it goes with all its children.
cat > "$work/neighbour.sh" <<SH
#!/usr/bin/env bash
case "$kind_of_neighbour" in
  memory)  # streams 512 MB a pass, read and write
    exec taskset -c 1 /usr/bin/python3 -c 'import numpy as np
a = np.ones(32 << 20)
while True:
    a += 1.0' ;;
  compile)
    cd "$PWD/build"
    for _ in 1 2; do (while true; do $(jq -r --arg f "$PWD/common/cycle/engine.cpp" '.[] | select(.file == $f) | .command' \
      build/compile_commands.json | sed 's/ -o [^ ]*/ -o \/dev\/null/'); done) & done
    wait ;;
  *) echo "unknown neighbour $kind_of_neighbour: memory or compile" >&2; exit 2 ;;
esac
SH
chmod +x "$work/neighbour.sh"
hog=""
trap '[ -n "$hog" ] && kill -- -"$hog" 2>/dev/null; cleanup' EXIT
for phase in $(seq "$phases"); do
  kind=quiet
  if [ $((phase % 2)) -eq 0 ]; then
    kind=neighbour
    setsid "$work/neighbour.sh" & hog=$!
    sleep 1
  fi
  echo "== phase $phase: $kind" >&2
  taskset -c 0 "$bin/giflab-perfctl" --local --config "$config" --state-dir "$work/$kind-$phase" \
    baseline create --iterations "$rounds" >/dev/null
  [ "$kind" = neighbour ] && { kill -- -"$hog"; wait "$hog" 2>/dev/null || true; hog=""; }
done
/usr/bin/python3 - "$work" <<'PY'
import glob, json, sys
import numpy as np
wall = {"quiet": {}, "neighbour": {}}
cpu = {"quiet": {}, "neighbour": {}}
for path in glob.glob(sys.argv[1] + "/*-*/baselines.json"):
    kind = path.split("/")[-2].split("-")[0]
    for name, b in json.load(open(path))["baselines"].items():
        s = b["samples"]
        wall[kind].setdefault(name, []).extend(s["processing_time"])
        if "control_processing_time" in s:
            wall[kind].setdefault("(built-in control)", []).extend(s["control_processing_time"])
    # CPU time (user + system) is in the history, a mean per scenario and phase.
    for line in open(path.replace("baselines.json", "history.jsonl")):
        r = json.loads(line)
        cpu[kind].setdefault(r["scenario"], []).append(r["cpu_user"] + r["cpu_system"])
print(f"{'measured':32} {'wall quiet':>10} {'neighbour':>9} {'ratio':>6} {'cpu ratio':>9}")
for name in sorted(wall["quiet"]):
    q, n = np.median(wall["quiet"][name]), np.median(wall["neighbour"].get(name, [np.nan]))
    c = np.mean(cpu["neighbour"][name]) / np.mean(cpu["quiet"][name]) if name in cpu["quiet"] else np.nan
    print(f"{name:32} {q:10.4f} {n:9.4f} {n / q:6.3f} {c:9.3f}")
PY
