#!/usr/bin/env bash
# Side-by-side throughput of rudis and redis-server for HyperLogLog and geo, with
# redis-benchmark's custom-command mode, in one run:
#   PFADD (random elements into one HLL, sparse then dense), PFCOUNT (one key: the
#   cache; three keys: a merge every call), GEOADD (random members near Palermo),
#   GEOSEARCH (radius 50 km around a point of a 100k-member index, COUNT 10 ASC).
#
#   scripts/bench_hll_geo.sh
#   N=200000 PIPELINES="1 16" CLIENTS=50 scripts/bench_hll_geo.sh
#
# Prints requests/s for each server, the ratio rudis/redis, and the server CPU time
# per request (/proc/PID/schedstat). Needs redis-benchmark, redis-cli, redis-server.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-200000}
PIPELINES=${PIPELINES:-"1 16"}
CLIENTS=${CLIENTS:-50}
GEO_POINTS=${GEO_POINTS:-100000}

for bin in redis-benchmark redis-cli redis-server; do
  command -v "$bin" >/dev/null || { echo "$bin not found (apt-get install -y redis-server redis-tools)"; exit 1; }
done
cargo build --release --quiet --bin rudis-server

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do redis-cli -p "$1" ping >/dev/null 2>&1 && return 0; sleep 0.05; done; echo "server on $1 did not start"; exit 1; }
cpu_ns() { awk '{print $1}' "/proc/$1/schedstat"; }

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

RUDIS_PORT=$(free_port)
target/release/rudis-server --port "$RUDIS_PORT" --bind 127.0.0.1 --loglevel warning &
pids+=($!); RUDIS_PID=$!
REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --loglevel warning >/dev/null &
pids+=($!); REDIS_PID=$!
wait_port "$RUDIS_PORT"; wait_port "$REDIS_PORT"

# The same data in both: HLLs for the multi-key PFCOUNT and the geo index.
python3 - "$GEO_POINTS" > /tmp/bench_hll_geo_load.$$ <<'PY'
import random, sys
random.seed(7)
def cmd(*args):
    out = "*%d\r\n" % len(args)
    for a in args:
        a = str(a)
        out += "$%d\r\n%s\r\n" % (len(a.encode()), a)
    return out
w = sys.stdout.write
for k in ("h1", "h2", "h3"):
    for i in range(0, 5000, 500):
        w(cmd("PFADD", k, *["%s-%d" % (k, j) for j in range(i, i + 500)]))
n = int(sys.argv[1])
for i in range(0, n, 500):
    args = []
    for j in range(i, min(i + 500, n)):
        args += ["%.6f" % random.uniform(-10, 30), "%.6f" % random.uniform(30, 60), "p%d" % j]
    w(cmd("GEOADD", "geo", *args))
PY
for port in "$RUDIS_PORT" "$REDIS_PORT"; do
  redis-cli -p "$port" --pipe < /tmp/bench_hll_geo_load.$$ >/dev/null
done
rm -f /tmp/bench_hll_geo_load.$$

TESTS=(
  "pfadd|PFADD hll e:__rand_int__"
  "pfcount|PFCOUNT hll"
  "pfcount3|PFCOUNT h1 h2 h3"
  "geoadd|GEOADD g 13.__rand_int__ 38.__rand_int__ m:__rand_int__"
  "geosearch|GEOSEARCH geo FROMLONLAT 10 45 BYRADIUS 50 km COUNT 10 ASC"
)

# run_one PORT PID P COMMAND... -> "rps cpu_ns_per_req"
run_one() {
  local port=$1 pid=$2 p=$3 before after rps
  shift 3
  before=$(cpu_ns "$pid")
  # shellcheck disable=SC2068 # the command's words are separate arguments
  rps=$(redis-benchmark -p "$port" -c "$CLIENTS" -n "$N" -P "$p" -r 1000000 -q --csv $@ 2>/dev/null \
        | awk -F'","' 'NR>1 {gsub(/"/,"",$2); rps=$2} END {print rps}')
  after=$(cpu_ns "$pid")
  echo "$rps $(( (after - before) / N ))"
}

printf '%-10s %3s %14s %14s %7s %12s %12s\n' test P rudis_rps redis_rps ratio rudis_ns/req redis_ns/req
for p in $PIPELINES; do
  for t in "${TESTS[@]}"; do
    name=${t%%|*}; command=${t#*|}
    # shellcheck disable=SC2086 # the command is a list of words
    read -r r_rps r_cpu < <(run_one "$RUDIS_PORT" "$RUDIS_PID" "$p" $command)
    # shellcheck disable=SC2086
    read -r s_rps s_cpu < <(run_one "$REDIS_PORT" "$REDIS_PID" "$p" $command)
    ratio=$(awk -v a="$r_rps" -v b="$s_rps" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
    printf '%-10s %3s %14s %14s %7s %12s %12s\n' "$name" "$p" "$r_rps" "$s_rps" "$ratio" "$r_cpu" "$s_cpu"
  done
done
echo "PFCOUNT hll: rudis $(redis-cli -p "$RUDIS_PORT" pfcount hll), redis $(redis-cli -p "$REDIS_PORT" pfcount hll) (different random elements; both ~min(N,1e6) distinct)"
