#!/usr/bin/env bash
# Line and branch coverage of common/, daemon/ and client/ from the whole
# ctest suite (the end-to-end scripts included), built with --coverage into
# build-cov/. Writes build-cov/coverage/summary.txt (per folder), an HTML
# report (build-cov/coverage/index.html) and prints the summary. Needs root
# for the daemon and end-to-end tests, like scripts/test.sh.
# Usage: scripts/coverage.sh [ctest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
dpkg-query -W -f='${Status}' gcovr 2>/dev/null | grep -q "install ok installed" || {
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get install -y -qq --no-install-recommends gcovr >/dev/null
}
generator=()
command -v ninja >/dev/null && [ ! -f build-cov/CMakeCache.txt ] && generator=(-G Ninja)
cmake -S . -B build-cov "${generator[@]}" -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS="--coverage -O0" -DCMAKE_C_FLAGS="--coverage -O0" \
  -DCMAKE_EXE_LINKER_FLAGS="--coverage" >/dev/null
cmake --build build-cov
find build-cov -name '*.gcda' -delete
scripts/test-services.sh
ctest --test-dir build-cov -j2 "$@" || echo "coverage: some tests failed; the figures cover what ran" >&2
out=build-cov/coverage
mkdir -p "$out"
# Branches the compiler adds for exceptions are not choices in our code.
common_args=(--root . --object-directory build-cov --exclude-throw-branches --exclude-unreachable-branches
             --filter 'common/' --filter 'daemon/' --filter 'client/' --exclude '.*giflab-perf-exec\.c')
gcovr "${common_args[@]}" --json-summary "$out/summary.json" --html-details "$out/index.html" >/dev/null
python3 - "$out/summary.json" <<'PY' | tee "$out/summary.txt"
import json, sys
files = json.load(open(sys.argv[1]))["files"]
goals = {"common": 90, "daemon": 80, "client": 80}
print("%-8s %14s %8s %16s %8s  %s" % ("folder", "lines", "%", "branches", "%", "goal (lines)"))
for folder, goal in goals.items():
    fs = [f for f in files if f["filename"].startswith(folder + "/")]
    lc = sum(f["line_covered"] for f in fs); lt = sum(f["line_total"] for f in fs)
    bc = sum(f["branch_covered"] for f in fs); bt = sum(f["branch_total"] for f in fs)
    lp = 100.0 * lc / lt if lt else 0; bp = 100.0 * bc / bt if bt else 0
    print("%-8s %6d / %-6d %7.1f %7d / %-7d %7.1f  %d %% %s" % (folder, lc, lt, lp, bc, bt, bp, goal,
          "met" if lp >= goal else "missed"))
print()
print("least covered files (lines):")
for f in sorted(files, key=lambda f: f["line_percent"])[:12]:
    print("  %-32s %5.1f %%  (%d of %d lines)" % (f["filename"], f["line_percent"], f["line_covered"], f["line_total"]))
PY
