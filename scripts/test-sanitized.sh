#!/usr/bin/env bash
# The test suite built with AddressSanitizer and UndefinedBehaviorSanitizer
# (build-asan/). The end-to-end scripts are left out: they test the
# installed layout, packages and services with the normal build.
set -euo pipefail
cd "$(dirname "$0")/.."
generator=()
command -v ninja >/dev/null && [ ! -f build-asan/CMakeCache.txt ] && generator=(-G Ninja)
cmake -S . -B build-asan "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGIFLAB_SANITIZE=ON >/dev/null
cmake --build build-asan
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
status=0
ctest --test-dir build-asan --output-on-failure -j2 -E '^e2e\.' --output-junit "$PWD/build-asan/ctest-junit.xml" "$@" || status=1
# libfaketime cannot be preloaded before the ASan runtime: the clock-jump test
# runs in the plain build only.
scripts/ctest-summary.py build-asan/ctest-junit.xml "sanitized tests" \
  --expected-skips '^Faults\.AWallClockJumpNeitherStopsNorFloodsTheSchedule$' || status=1
exit "$status"
