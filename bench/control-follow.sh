#!/usr/bin/env bash
# Whether a control follows what the scenarios feel over minutes, not only
# within a check: interleaved rounds (shuffled order) of the built-in control,
# any candidate controls, and the shipped config's monitored scenarios (each
# command on the first file of its data_pattern), for SECONDS; then, per
# scenario, the spread of its time alone and relative to each control: per
# round, per check (the median of 3 rounds), and of its level (a rolling
# median of 20 rounds, what moves for minutes).
# The lower the spread relative to a control, the more of the machine's
# movement that control takes out. Candidates: NAME=COMMAND (words split on
# spaces), e.g. gifsicle_O1="gifsicle -O1 data/sample_gifs/medium_1.gif -o /tmp/x.gif".
#
# Usage: bench/control-follow.sh [SECONDS] [NAME=COMMAND ...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=600
if [ $# -gt 0 ] && [[ "$1" != *=* ]]; then seconds=$1; shift; fi
. bench/lib.sh
/usr/bin/python3 - "$seconds" "$bin/giflab-perf-control" "$PWD/config/config.json" "$work" "$@" <<'PY'
import glob, json, os, random, sys, time
import numpy as np
seconds, control, config, work = float(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
controls = {"built-in": [control]}
for spec in sys.argv[5:]:
    name, command = spec.split("=", 1)
    controls[name] = command.split()
# The scenarios as the daemon runs them: placeholders filled, data paths
# relative to the config's folder.
scenarios = {}
for sc in json.load(open(config))["scenarios"]:
    if not sc.get("monitored", True):
        continue
    pattern = os.path.join(os.path.dirname(config), sc["data_pattern"])
    inputs = sorted(glob.glob(pattern))
    if not inputs:
        sys.exit(f"{config}: scenarios.{sc['name']}.data_pattern matches no file ({pattern}): run giflab-gifgen or fix the pattern")
    fill = {"{input}": inputs[0], "{output}": f"{work}/{sc['name']}.gif", "{max_frames}": str(sc.get("max_frames", ""))}
    def filled(word):
        for key, value in fill.items():
            word = word.replace(key, value)
        return word
    scenarios[sc["name"]] = [filled(w) for w in sc["command"]]
commands = {**controls, **scenarios}
times = {name: [] for name in commands}
end = time.time() + seconds
while time.time() < end:
    order = list(commands)
    random.shuffle(order)
    for name in order:
        start = time.perf_counter_ns()
        pid = os.posix_spawnp(commands[name][0], commands[name], os.environ)
        _, status, _ = os.wait4(pid, 0)
        if status != 0:
            sys.exit(f"{name}: {' '.join(commands[name])} failed (status {status})")
        times[name].append((time.perf_counter_ns() - start) / 1e9)
logs = {name: np.log(t) for name, t in times.items()}
rounds = len(logs["built-in"])
def check_medians(x, size=3):
    m = len(x) // size * size
    return np.median(x[:m].reshape(-1, size), axis=1)
def robust_sd(x):
    return 1.4826 * np.median(np.abs(x - np.median(x)))
def level(x, window=20):
    return np.array([np.median(x[max(0, i - window // 2):i + window // 2]) for i in range(len(x))])
print(f"{rounds} rounds in {seconds:.0f} s; spreads of log time (0.05: about 5 %)")
print(f"{'scenario':22} {'relative to':12} {'round sd':>8} {'check MAD':>9} {'level sd':>8}")
for s in scenarios:
    print(f"{s:22} {'(alone)':12} {np.std(logs[s]):8.3f} {robust_sd(check_medians(logs[s])):9.3f} {np.std(level(logs[s])):8.3f}")
    for c in controls:
        r = logs[s] - logs[c]
        print(f"{'':22} {c:12} {np.std(r):8.3f} {robust_sd(check_medians(r)):9.3f} {np.std(level(r)):8.3f}")
for c in controls:
    print(f"control {c}: median {np.exp(np.median(logs[c])) * 1000:.1f} ms, its own level sd {np.std(level(logs[c])):.3f}")
PY
