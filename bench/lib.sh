# Shared by the benchmark scripts: the built binaries in $bin, a scratch
# folder $work, and the array pids of background processes, all cleaned up
# on exit. Source it from the repository's root.
scripts/build.sh >/dev/null
bin=$PWD/build/bin
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
