#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs the packages,
# builds, starts what the tests need (journald, the giflab-perf group), runs
# ctest (unit, daemon, fault and end-to-end tests), then the suite again under
# AddressSanitizer + UndefinedBehaviorSanitizer, then a short run of every fuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
scripts/test-services.sh
ctest --test-dir build --output-on-failure -j2 "$@"
echo "== the suite under ASan + UBSan"
scripts/test-sanitized.sh
echo "== fuzzing, 15 s a target"
scripts/fuzz.sh 15
