#!/usr/bin/env bash
# Scrapes redis-server and rudis-server with Prometheus's redis_exporter (Debian's
# prometheus-redis-exporter) after the same small workload, and compares the metric
# names each scrape has. Prints the coverage and the names rudis lacks.
#
#   scripts/exporter_compare.sh [/path/to/rudis-server] [PORT_BASE]
#
# Uses PORT_BASE+0..3 (default 42040) on 127.0.0.1; kills what it started, by PID.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$ROOT/target/release/rudis-server}
BASE=${2:-42040}
EXPORTER=$(command -v prometheus-redis-exporter || command -v redis_exporter || true)
[ -n "$EXPORTER" ] || { echo "install prometheus-redis-exporter (apt-get install -y prometheus-redis-exporter)" >&2; exit 1; }
OUT=$(mktemp -d "${TMPDIR:-/tmp}/rudis-exporter.XXXXXX")
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

redis-server --port "$BASE" --bind 127.0.0.1 --save "" --appendonly no --dir "$OUT" >"$OUT/redis.log" 2>&1 &
PIDS+=($!)
(cd "$OUT" && exec "$BIN" --port $((BASE + 1)) --bind 127.0.0.1 --save "" --dir "$OUT" --metrics-port $((BASE + 4))) >"$OUT/rudis.log" 2>&1 &
PIDS+=($!)
for p in "$BASE" $((BASE + 1)); do
  for _ in $(seq 100); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
  for i in $(seq 20); do redis-cli -p "$p" set "k$i" v >/dev/null; redis-cli -p "$p" get "k$i" >/dev/null; done
  redis-cli -p "$p" expire k1 1000 >/dev/null
  redis-cli -p "$p" select 1 >/dev/null
  redis-cli -p "$p" lpush l a >/dev/null
  redis-cli -p "$p" config set slowlog-log-slower-than 0 >/dev/null
  redis-cli -p "$p" get k2 >/dev/null
done
"$EXPORTER" -redis.addr "redis://127.0.0.1:$BASE" -web.listen-address "127.0.0.1:$((BASE + 2))" >"$OUT/exp-redis.log" 2>&1 &
PIDS+=($!)
"$EXPORTER" -redis.addr "redis://127.0.0.1:$((BASE + 1))" -web.listen-address "127.0.0.1:$((BASE + 3))" >"$OUT/exp-rudis.log" 2>&1 &
PIDS+=($!)
sleep 1
names() { curl -s "http://127.0.0.1:$1/metrics" | grep -v '^#' | sed 's/[{ ].*//' | grep -v '^go_\|^process_\|^promhttp_' | sort -u; }
names $((BASE + 2)) >"$OUT/redis.names"
names $((BASE + 3)) >"$OUT/rudis.names"
curl -s "http://127.0.0.1:$((BASE + 3))/metrics" | grep -E '^redis_exporter_last_scrape_error|^redis_up' || true
total=$(wc -l <"$OUT/redis.names")
common=$(comm -12 "$OUT/redis.names" "$OUT/rudis.names" | wc -l)
echo "redis-server: $total names; rudis has $common of them ($((100 * common / total))%)"
echo "missing on rudis:"; comm -23 "$OUT/redis.names" "$OUT/rudis.names" | sed 's/^/  /'
echo "only on rudis:"; comm -13 "$OUT/redis.names" "$OUT/rudis.names" | sed 's/^/  /'
# rudis's own endpoint: parsed with Python's prometheus_client, names compared.
curl -s "http://127.0.0.1:$((BASE + 4))/metrics" >"$OUT/rudis-own.txt"
python3 - "$OUT/rudis-own.txt" "$OUT/redis.names" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
names = {s.name for fam in text_string_to_metric_families(open(sys.argv[1]).read()) for s in fam.samples}
ref = {l.strip() for l in open(sys.argv[2])}
exporter_own = {n for n in ref if n.startswith("redis_exporter_") or n in ("redis_target_scrape_request_errors_total", "redis_last_key_groups_scrape_duration_milliseconds")}
want = ref - exporter_own
print(f"rudis /metrics: parses; {len(want & names)} of the {len(want)} server metric names redis_exporter makes of redis-server")
print("  missing:", sorted(want - names))
PY
echo "files: $OUT"
