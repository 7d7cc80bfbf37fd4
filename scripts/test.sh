#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs the packages,
# builds, starts what the tests need (journald, the giflab-perf group), runs
# ctest (unit, daemon, fault and end-to-end tests), then the suite again under
# AddressSanitizer + UndefinedBehaviorSanitizer, then a short run of every
# fuzzer. Prints how many tests ran, passed, failed and skipped in each part;
# as root a skipped test is a failure (only the sanitized run's documented
# skip is expected). Runs every part, then exits non-zero if any failed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --all
scripts/build.sh
scripts/test-services.sh
status=0
ctest --test-dir build --output-on-failure -j2 --output-junit "$PWD/build/ctest-junit.xml" "$@" || status=1
scripts/ctest-summary.py build/ctest-junit.xml "tests" || status=1
echo "== the suite under ASan + UBSan"
scripts/test-sanitized.sh || status=1
echo "== fuzzing, 15 s a target"
scripts/fuzz.sh 15 || status=1
[ "$status" -eq 0 ] && echo "test.sh: every part passed" || echo "test.sh: FAILED (see the summaries above)"
exit "$status"
