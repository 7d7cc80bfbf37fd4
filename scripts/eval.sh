#!/usr/bin/env bash
# The detection evaluation, one command: builds and writes docs/detection-evaluation.md
# from the seeded simulator and the public data in ../shared/eval/data, then
# the change points on real histories beside the peers (tools/cp-eval; the
# peers' predictions are cached in tools/cp-eval/preds, --recompute-peers
# measures them again, which takes minutes for E-divisive).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --all
scripts/build.sh >/dev/null
recompute=()
args=()
for a in "$@"; do [ "$a" = "--recompute-peers" ] && recompute=(--recompute) || args+=("$a"); done
data="${GIFLAB_EVAL_DATA:-$(realpath ../shared/eval/data)}"
out=docs/detection-evaluation.md
build/bin/giflab-eval "$data" "${args[@]}" > "$out"
{
  echo
  echo "## Change points on real histories"
  echo
  echo "giflab-perfd's change points (the C++ of \`analyze\` and \`history --changes\`, defaults: sensitivity"
  echo "0.001, min-change 0.02) against re-implementations of the peers, on every real data set in"
  echo "\`../shared/eval/data\`, with \`tools/cp-eval/eval_all.py\` (scorers in \`tools/cp-eval/common.py\`)."
  echo "dev: 248 asv series of three projects (F1 TCPDBench-style, margin 5; recall of labelled change"
  echo "points; false change points per 100 points of the 177 stable series). tcpd: TCPDBench, F1 against"
  echo "its annotators. mongo: MongoDB's signal-processing series (false points on the real series, the 4"
  echo "shifts of long_series found, points on robust_series). GAB: github-action-benchmark, alerts per 100"
  echo "points on series with no labelled change (most are shifts shared by a whole suite: runner changes)."
  echo "synthetic: the 10 failure-mode checks of tools/cp-eval/synthetic.py (5 seeds each)."
  echo "The constants were chosen on dev and the synthetic checks only; tcpd, mongo and GAB were scored once,"
  echo "after. \"pettitt_binseg\" is a re-implementation of the earlier method, not the earlier code."
  echo
  GIFLAB_EVAL_DATA="$data" GIFLAB_EVAL_BIN="$PWD/build/bin/giflab-eval" \
    nice -n 10 /usr/bin/python3 tools/cp-eval/eval_all.py "${recompute[@]}" 2>/dev/null
  # The live runs (bench/live-aa.sh) take an hour: their last figures are kept in bench/LIVE-AA.md.
  if [ -f bench/LIVE-AA.md ]; then echo; cat bench/LIVE-AA.md; fi
} >> "$out"
cat "$out"
