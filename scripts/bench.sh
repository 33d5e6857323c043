#!/usr/bin/env bash
# Side-by-side throughput of rudis and redis-server with redis-benchmark, in one run.
#
#   scripts/bench.sh                      # default tests and pipelines
#   TESTS=set,get N=500000 PIPELINES="1 16" CLIENTS=50 scripts/bench.sh
#   TESTS=types scripts/bench.sh          # lists, sets, hashes, sorted sets (issue 4's set)
#   KEYSPACE=1000000 scripts/bench.sh     # random keys over a big table (redis-benchmark -r)
#   RUDIS_ARGS="--busy-poll-us 0" scripts/bench.sh   # extra rudis-server flags
#   RUDIS_ARGS="--maxmemory 4gb --maxmemory-policy allkeys-lru" TESTS=set,get ROUNDS=3 scripts/bench.sh
#                                         # a feature's cost: redis-server at its defaults is the yardstick
#   D=$(mktemp -d); RUDIS_ARGS="--dir $D --appendonly yes --appendfsync always" \
#     REDIS_ARGS="--dir $D --appendonly yes --appendfsync always" scripts/bench.sh  # AOF
#
# Prints requests/s for each server, the ratio rudis/redis, and the server CPU time
# per request (from /proc/PID/schedstat), which is steadier than ops/s on a small box.
# Needs redis-benchmark (apt-get install -y redis-tools); redis-server is optional.
set -euo pipefail
cd "$(dirname "$0")/.."

TESTS=${TESTS:-set,get,incr,mset}
if [ "$TESTS" = types ]; then
  TESTS=lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,lrange_600
fi
N=${N:-300000}
PIPELINES=${PIPELINES:-"1 16"}
CLIENTS=${CLIENTS:-50}
ROUNDS=${ROUNDS:-1}
KEYSPACE=${KEYSPACE:-}

command -v redis-benchmark >/dev/null || { echo "redis-benchmark not found (apt-get install -y redis-tools)"; exit 1; }
cargo build --release --quiet --bin rudis-server

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do redis-cli -p "$1" ping >/dev/null 2>&1 && return 0; sleep 0.05; done; echo "server on $1 did not start"; exit 1; }
cpu_ns() { awk '{print $1}' "/proc/$1/schedstat"; }

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

RUDIS_PORT=$(free_port)
# shellcheck disable=SC2086 # RUDIS_ARGS is a list of flags
target/release/rudis-server --port "$RUDIS_PORT" --loglevel warning ${RUDIS_ARGS:-} &
pids+=($!); RUDIS_PID=$!
wait_port "$RUDIS_PORT"

REDIS_PID=""
if command -v redis-server >/dev/null; then
  REDIS_PORT=$(free_port)
  # shellcheck disable=SC2086 # REDIS_ARGS is a list of flags
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize no --loglevel warning ${REDIS_ARGS:-} >/dev/null &
  pids+=($!); REDIS_PID=$!
  wait_port "$REDIS_PORT"
else
  echo "(redis-server not installed: rudis only; apt-get install -y redis-server for the comparison)"
fi

# run_one PORT PID TEST P -> "rps cpu_ns_per_req"
run_one() {
  local port=$1 pid=$2 test=$3 p=$4 before after rps
  before=$(cpu_ns "$pid")
  rps=$(redis-benchmark -p "$port" -c "$CLIENTS" -n "$N" -P "$p" -t "$test" ${KEYSPACE:+-r "$KEYSPACE"} -q --csv 2>/dev/null \
        | awk -F'","' 'NR>1 {gsub(/"/,"",$2); rps=$2} END {print rps}')
  after=$(cpu_ns "$pid")
  # MSET's redis-benchmark test is named "MSET (10 keys)": one request = one MSET.
  # LRANGE_* tests first run an LPUSH phase: the last line is the test asked for (its
  # CPU figure includes the LPUSH phase, for both servers alike).
  echo "$rps $(( (after - before) / N ))"
}

printf '%-11s %3s %14s %14s %7s %12s %12s\n' test P rudis_rps redis_rps ratio rudis_ns/req redis_ns/req
for round in $(seq "$ROUNDS"); do
  for p in $PIPELINES; do
    for test in ${TESTS//,/ }; do
      read -r r_rps r_cpu < <(run_one "$RUDIS_PORT" "$RUDIS_PID" "$test" "$p")
      if [ -n "$REDIS_PID" ]; then
        read -r s_rps s_cpu < <(run_one "$REDIS_PORT" "$REDIS_PID" "$test" "$p")
        ratio=$(awk -v a="$r_rps" -v b="$s_rps" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
      else
        s_rps="-"; s_cpu="-"; ratio="-"
      fi
      printf '%-11s %3s %14s %14s %7s %12s %12s\n' "$test" "$p" "$r_rps" "$s_rps" "$ratio" "$r_cpu" "$s_cpu"
    done
  done
done
