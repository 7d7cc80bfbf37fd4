# Shared by the benchmark scripts: the built binaries in $bin, a scratch
# folder $work, and the array pids of background processes, all cleaned up
# on exit. Source it from the repository's root.
scripts/build.sh >/dev/null
bin=$PWD/build/bin
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# gifsicle's own time on large_1.gif and a share of it in work units of the
# test workload: sets gif_ms and units. Usage: calibrate_work 0.3
calibrate_work() {
  local gif=$PWD/data/sample_gifs/large_1.gif start unit_ms
  start=$(date +%s%N)
  for _ in 1 2 3 4 5; do gifsicle -O3 --lossy=80 --colors 128 "$gif" '#0-19' -o "$work/cal.gif"; done
  gif_ms=$(( ($(date +%s%N) - start) / 5000000 ))
  start=$(date +%s%N)
  "$bin/giflab-test-workload" --work 100
  unit_ms=$(awk -v ns="$(( $(date +%s%N) - start ))" 'BEGIN { printf "%.4f", ns / 1e6 / 100 }')
  units=$(awk -v g="$gif_ms" -v u="$unit_ms" -v f="$1" 'BEGIN { printf "%d", f * g / u + 0.5 }')
  echo "== gifsicle on large_1.gif: ${gif_ms} ms; $1 of it: ${units} work units of ${unit_ms} ms" >&2
}
