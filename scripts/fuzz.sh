#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (build-fuzz/) and runs each for
# SECONDS (default 20) from the seed corpora in fuzz/corpus. Exits non-zero
# on any crash, leak or sanitizer report. A long run: scripts/fuzz.sh 3600
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
scripts/install-deps.sh
generator=()
command -v ninja >/dev/null && [ ! -f build-fuzz/CMakeCache.txt ] && generator=(-G Ninja)
CC=clang CXX=clang++ cmake -S . -B build-fuzz "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DGIFLAB_FUZZ=ON -DGIFLAB_BUILD_TESTS=OFF >/dev/null
cmake --build build-fuzz --target fuzz_config fuzz_history fuzz_baselines fuzz_arguments
status=0
for target in config history baselines arguments; do
  work=$(mktemp -d)  # new inputs land here, not in the repository's seeds
  echo "== fuzz_$target for ${seconds}s"
  if ! build-fuzz/bin/fuzz_$target "$work" "fuzz/corpus/$target" -max_total_time="$seconds" -timeout=10 \
       -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="build-fuzz/crash-$target-" >"$work.log" 2>&1; then
    status=1
    tail -40 "$work.log"
    echo "fuzz_$target FAILED; the input is in build-fuzz/crash-$target-*"
  else
    grep -E "^stat::number_of_executed_units|^#[0-9]+.*DONE" "$work.log" | tail -2
  fi
  rm -rf "$work" "$work.log"
done
[ "$status" -eq 0 ] && echo "fuzzing: 4 passed, 0 failed" || echo "fuzzing: failures above"
exit "$status"
