# Shared by the end-to-end scripts: a private session bus and giflab-perfd
# on it, running a test workload whose run time is read from a file.
# Expects $build, $work and the array pids (killed by the caller's trap).

# start_session_bus: a private session bus; exports DBUS_SESSION_BUS_ADDRESS.
start_session_bus() {
  local address pid
  read -r address pid < <(dbus-daemon --session --fork --print-address=1 --print-pid=1 | paste -sd' ')
  pids+=("$pid")
  export DBUS_SESSION_BUS_ADDRESS="$address"
}

# start_daemon SCENARIO EXTRA_CONFIG: giflab-perfd --user monitoring every
# second one scenario that sleeps as long as $work/sleep says (0.02 s at
# first); EXTRA_CONFIG is more top-level JSON (", \"prometheus\": {...}").
# Waits until it answers, then creates the baseline.
start_daemon() {
  echo 0.02 > "$work/sleep"
  cat > "$work/config.json" <<JSON
{"performance": {"enabled": true, "monitoring_interval": 1}$2,
 "scenarios": [{"name": "$1", "command": ["$build/bin/giflab-test-workload", "--sleep-file", "$work/sleep"], "iterations": 5${3:-}}]}
JSON
  "$build/bin/giflab-perfd" --user --config "$work/config.json" --state-dir "$work/state" 2>"$work/daemon.log" &
  pids+=("$!")
  for _ in $(seq 100); do ctl status >/dev/null 2>&1 && break; sleep 0.1; done
  ctl baseline create >/dev/null || fail "baseline create"
}

ctl() { "$build/bin/giflab-perfctl" --user "$@"; }
