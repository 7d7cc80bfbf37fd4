#!/usr/bin/env bash
# The detection evaluation, one command: builds and writes docs/detection-evaluation.md
# from the seeded simulator and the public data in ../shared/eval/data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh >/dev/null
data="${GIFLAB_EVAL_DATA:-$(realpath ../shared/eval/data)}"
build/bin/giflab-eval "$data" "$@" > docs/detection-evaluation.md
cat docs/detection-evaluation.md
