#!/usr/bin/env bash
# The main job on the shipped default config: builds, creates the baselines
# when there are none, runs a check and prints the table and the status.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh >/dev/null
state="${GIFLAB_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/giflab-perfd-default}"
ctl=(build/bin/giflab-perfctl --local --config config/config.json --state-dir "$state")
if ! "${ctl[@]}" baseline list --json | jq -e '.baselines | length > 0' >/dev/null; then
  echo "== Creating baselines (state in $state)"
  "${ctl[@]}" baseline create
fi
echo "== CI check against the baselines"
rc=0
"${ctl[@]}" ci check || rc=$?
echo
echo "== Phase 6 speedup validation"
"${ctl[@]}" validate --check-phase6 || rc=$?
echo
"${ctl[@]}" status
exit "$rc"
