#!/usr/bin/env bash
# Streams side by side: rudis and redis-server, same box, same load.
#
#   scripts/stream_bench.sh                  # 1M entries, default pipelines
#   ENTRIES=200000 N=50000 P=16 scripts/stream_bench.sh
#   RUDIS_PORT=43010 REDIS_PORT=43011 scripts/stream_bench.sh   # fixed ports
#   BIN=target/quick/rudis-server scripts/stream_bench.sh     # a binary already built
#
# 1. Memory: ENTRIES small entries (`XADD s * item <n>`, loaded with redis-benchmark,
#    pipelined) into one stream; bytes per entry from the growth of each server's
#    resident set (VmRSS), the same yardstick for both (rudis's INFO has no
#    allocator figure), and Redis's own used_memory growth for reference.
# 2. Throughput (redis-benchmark, CLIENTS clients, pipeline P): XADD, XRANGE of 10
#    entries from the start of the big stream, and XREADGROUP of 10 new entries per
#    call for one consumer group (each call moves entries into the PEL).
# Prints requests/s per server and the ratio rudis/redis.
set -euo pipefail
cd "$(dirname "$0")/.."

ENTRIES=${ENTRIES:-1000000}
N=${N:-200000}
P=${P:-16}
CLIENTS=${CLIENTS:-50}

command -v redis-benchmark >/dev/null || { echo "redis-benchmark not found"; exit 1; }
command -v redis-server >/dev/null || { echo "redis-server not found"; exit 1; }
# BIN: a rudis-server already built (e.g. target/quick/rudis-server); else release.
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet --bin rudis-server
  BIN=target/release/rudis-server
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do redis-cli -p "$1" ping >/dev/null 2>&1 && return 0; sleep 0.05; done; echo "server on $1 did not start"; exit 1; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

RUDIS_PORT=${RUDIS_PORT:-$(free_port)}
REDIS_PORT=${REDIS_PORT:-$(free_port)}
"$BIN" --port "$RUDIS_PORT" --bind 127.0.0.1 --loglevel warning &
pids+=($!); RUDIS_PID=$!
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize no --loglevel warning >/dev/null &
pids+=($!); REDIS_PID=$!
wait_port "$RUDIS_PORT"
wait_port "$REDIS_PORT"

load() { # PORT: ENTRIES entries into key `s`
  redis-benchmark -p "$1" -c 1 -n "$ENTRIES" -P 256 -r 1000000 -q xadd s '*' item __rand_int__ >/dev/null 2>&1
}

echo "== memory: $ENTRIES entries of one small field (item <number up to 6 digits>)"
printf '%-8s %12s %14s %16s\n' server entries rss_delta_MB bytes/entry
for who in rudis redis; do
  if [ "$who" = rudis ]; then port=$RUDIS_PORT; pid=$RUDIS_PID; else port=$REDIS_PORT; pid=$REDIS_PID; fi
  before=$(rss_kb "$pid")
  used_before=$(redis-cli -p "$port" info memory | awk -F: '/^used_memory:/ {print $2+0}')
  load "$port"
  after=$(rss_kb "$pid")
  used_after=$(redis-cli -p "$port" info memory | awk -F: '/^used_memory:/ {print $2+0}')
  len=$(redis-cli -p "$port" xlen s)
  printf '%-8s %12s %14.1f %16.1f\n' "$who" "$len" "$(awk -v a="$after" -v b="$before" 'BEGIN{print (a-b)/1024}')" \
    "$(awk -v a="$after" -v b="$before" -v n="$len" 'BEGIN{print (a-b)*1024/n}')"
  if [ "$who" = redis ] && [ -n "$used_after" ]; then
    echo "         (redis used_memory growth: $(awk -v a="$used_after" -v b="$used_before" -v n="$len" 'BEGIN{printf "%.1f", (a-b)/n}') bytes/entry)"
  fi
  usage=$(redis-cli -p "$port" memory usage s samples 0)
  echo "         (MEMORY USAGE s: $usage bytes, $(awk -v a="$usage" -v n="$len" 'BEGIN{printf "%.1f", a/n}') bytes/entry)"
done

rps() { # PORT ARGS... -> requests/s
  local port=$1; shift
  redis-benchmark -p "$port" -c "$CLIENTS" -n "$N" -P "$P" -q --csv "$@" 2>/dev/null \
    | awk -F'","' 'NR>1 {gsub(/"/,"",$2); rps=$2} END {print rps}'
}

echo
echo "== throughput: N=$N requests, $CLIENTS clients, pipeline $P"
printf '%-34s %12s %12s %7s\n' command rudis_rps redis_rps ratio
bench() { # LABEL ARGS...
  local label=$1; shift
  local r s
  r=$(rps "$RUDIS_PORT" "$@")
  s=$(rps "$REDIS_PORT" "$@")
  printf '%-34s %12s %12s %7s\n' "$label" "$r" "$s" "$(awk -v a="$r" -v b="$s" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"
}
bench "XADD t * f v" xadd t '*' f v
bench "XRANGE s - + COUNT 10" xrange s - + COUNT 10
for port in "$RUDIS_PORT" "$REDIS_PORT"; do redis-cli -p "$port" xgroup create s g 0 >/dev/null; done
bench "XREADGROUP GROUP g c COUNT 10 >" xreadgroup GROUP g c COUNT 10 STREAMS s '>'
