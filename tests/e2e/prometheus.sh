#!/usr/bin/env bash
# Prometheus end to end: giflab-perfd serves /metrics (promtool check metrics
# passes), the shipped rules pass promtool check rules, and a real Prometheus
# server on loopback scrapes the daemon; metrics are read back through its
# HTTP API, including the open regression the daemon found.
# Usage: prometheus.sh SOURCE_DIR BUILD_DIR   (exit 77: skipped)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
src=$(realpath "$1"); build=$(realpath "$2")
for t in prometheus promtool curl jq dbus-daemon; do command -v $t >/dev/null || { echo "SKIP: $t missing"; exit 77; }; done
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; echo "--- daemon log"; tail -20 "$work/daemon.log" || true; echo "--- prometheus log"; tail -20 "$work/prom.log" || true; exit 1; }
free_port() { local p; for p in $(shuf -i 20000-60000 -n 50); do ! (echo >/dev/tcp/127.0.0.1/$p) 2>/dev/null && { echo $p; return; }; done; }

promtool check rules "$src/packaging/prometheus/giflab-perfd.rules.yml" >/dev/null || fail "promtool check rules"
echo "ok: promtool check rules"

start_session_bus
metrics_port=$(free_port)
start_daemon promtest ", \"prometheus\": {\"listen\": \"127.0.0.1:$metrics_port\"}" \
  ", \"budget\": {\"processing_time\": 0.025}"
echo 0.03 > "$work/sleep"   # 50 % slower: a regression to report, and over the 0.025 s budget
for _ in $(seq 150); do [ "$(ctl --json status | jq '.open_regressions | length')" -ge 1 ] && break; sleep 0.1; done
[ "$(ctl --json status | jq '.open_regressions | length')" -ge 1 ] || fail "no regression opened"

curl -sf "http://127.0.0.1:$metrics_port/metrics" > "$work/metrics.txt" || fail "no /metrics"
lint=$(promtool check metrics < "$work/metrics.txt" 2>&1) || fail "promtool check metrics: $lint"
[ -z "$lint" ] || fail "promtool check metrics: $lint"
grep -q '^giflab_regression_open{.*scenario="promtest".*} 1' "$work/metrics.txt" || fail "no giflab_regression_open series"
grep -q '^giflab_budget_seconds{scenario="promtest"} 0.025' "$work/metrics.txt" || fail "no giflab_budget_seconds series"
# Read whole before grep: grep -q stops reading at its match, and under
# pipefail curl's broken pipe would fail the pipeline.
exceeded=""
for _ in $(seq 100); do
  scrape=$(curl -sf "http://127.0.0.1:$metrics_port/metrics" || true)
  exceeded=$(grep '^giflab_budget_exceeded{.*scenario="promtest".*} 1' <<<"$scrape" || true)
  [ -n "$exceeded" ] && break
  sleep 0.1
done
[ -n "$exceeded" ] || fail "giflab_budget_exceeded is not 1 for a scenario over its budget"
echo "ok: /metrics passes promtool check metrics"

prom_port=$(free_port)
cat > "$work/prometheus.yml" <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: ["$src/packaging/prometheus/giflab-perfd.rules.yml"]
scrape_configs:
  - job_name: giflab-perfd
    static_configs: [{targets: ["127.0.0.1:$metrics_port"]}]
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" >"$work/prom.log" 2>&1 &
pids+=("$!")
query() { curl -sf --get "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1"; }
cycles=""
for _ in $(seq 150); do
  cycles=$(query 'giflab_monitor_cycles_total{job="giflab-perfd"}' 2>/dev/null | jq -r '.data.result[0].value[1] // empty') || true
  [ -n "$cycles" ] && break
  sleep 0.2
done
[ -n "$cycles" ] && [ "${cycles%.*}" -ge 1 ] || fail "Prometheus did not scrape giflab_monitor_cycles_total"
echo "ok: Prometheus scraped giflab_monitor_cycles_total = $cycles"
open=$(query 'giflab_regression_open{scenario="promtest"}' | jq -r '.data.result[0].metric.severity // empty')
[ -n "$open" ] || fail "the open regression is not in Prometheus"
echo "ok: Prometheus sees the open regression (severity $open)"
# Waits for the shipped rule NAME to fire.
rule_fires() {
  local firing=0
  for _ in $(seq 100); do
    firing=$(curl -sf "http://127.0.0.1:$prom_port/api/v1/alerts" |
      jq -r --arg n "$1" '[.data.alerts[] | select(.labels.alertname == $n)] | length')
    [ "${firing:-0}" -ge 1 ] && return 0
    sleep 0.2
  done
  return 1
}
rule_fires GiflabPerformanceRegression || fail "the shipped rule did not turn the regression into an alert"
echo "ok: the GiflabPerformanceRegression rule fires"
rule_fires GiflabBudgetExceeded || fail "the shipped rule did not turn the exceeded budget into an alert"
echo "ok: the GiflabBudgetExceeded rule fires"
echo "prometheus end-to-end: 6 passed, 0 failed"
