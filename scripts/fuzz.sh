#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (build-fuzz/) and runs each for
# SECONDS (default 20) from the seed corpora in fuzz/corpus, with the token
# dictionaries in fuzz/dict. Every sanitizer report is fatal (ASan, UBSan
# with -fno-sanitize-recover, leaks): exits non-zero on any, and keeps the
# log and the input in build-fuzz/ (crash-TARGET-*, TARGET.log).
# What a run discovers stays in build-fuzz/corpus/TARGET and seeds the next
# run, so repeated runs go deeper; `scripts/fuzz.sh 3600` is a long one.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
scripts/install-deps.sh --all
generator=()
command -v ninja >/dev/null && [ ! -f build-fuzz/CMakeCache.txt ] && generator=(-G Ninja)
CC=clang CXX=clang++ cmake -S . -B build-fuzz "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DGIFLAB_FUZZ=ON -DGIFLAB_BUILD_TESTS=OFF >/dev/null
cmake --build build-fuzz --target fuzz_config fuzz_history fuzz_baselines fuzz_arguments
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
passed=0 failed=0
for target in config history baselines arguments; do
  grown=build-fuzz/corpus/$target  # new inputs land here, not in the repository's seeds
  log=build-fuzz/$target.log
  mkdir -p "$grown"
  dict=()
  [ -f "fuzz/dict/$target.dict" ] && dict=(-dict="fuzz/dict/$target.dict")
  echo "== fuzz_$target for ${seconds}s ($(ls "$grown" | wc -l) inputs grown so far)"
  if build-fuzz/bin/fuzz_$target "$grown" "fuzz/corpus/$target" "${dict[@]}" -max_total_time="$seconds" -timeout=10 \
       -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="build-fuzz/crash-$target-" >"$log" 2>&1 &&
     ! grep -qE "runtime error:|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)" "$log"; then
    passed=$((passed + 1))
    grep -E "^stat::number_of_executed_units|^#[0-9]+.*DONE" "$log" | tail -2
  else
    failed=$((failed + 1))
    tail -40 "$log"
    echo "fuzz_$target FAILED: the log is $log, the input build-fuzz/crash-$target-*"
  fi
done
echo "fuzzing: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
