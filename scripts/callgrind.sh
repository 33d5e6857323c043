#!/usr/bin/env bash
# Instruction count (callgrind "Ir") of rudis-server serving redis-benchmark SET then GET.
# Counts instructions, not time, so it is steady on a loaded machine (issue 10's 1% check).
#
#   scripts/callgrind.sh                         # builds target/release/rudis-server, 100k SET + 100k GET at -P 16
#   scripts/callgrind.sh /path/to/rudis-server   # measures that binary instead (no build)
#   N=20000 P1=1 scripts/callgrind.sh            # fewer requests; also a -P 1 SET + GET run
#   RUDIS_ARGS="--busy-poll-us 50" scripts/callgrind.sh   # extra server flags
#   PORT=40050 scripts/callgrind.sh              # a chosen port (default: a free one)
#
# The server runs with --busy-poll-us 0 (the spin before sleeping depends on wall time, so it
# would make the count vary from run to run), --save "" and --dir in a fresh temporary
# directory (nothing loaded or saved). It prints the total Ir and the path of a file with the
# top functions by Ir (self cost); the callgrind output is kept next to it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

N=${N:-100000}
P=${P:-16}
P1=${P1:-}          # set to 1 to also run SET and GET at -P 1
CLIENTS=${CLIENTS:-50}
TOP=${TOP:-10}

for tool in valgrind callgrind_annotate redis-cli redis-benchmark python3; do
  command -v "$tool" >/dev/null || { echo "$tool not found (apt-get install -y valgrind redis-tools)" >&2; exit 1; }
done

if [ $# -ge 1 ]; then
  BIN=$(realpath "$1")
else
  (cd "$ROOT" && cargo build --release --quiet --bin rudis-server)
  BIN=$ROOT/target/release/rudis-server
fi
[ -x "$BIN" ] || { echo "not an executable: $BIN" >&2; exit 1; }

OUT=$(mktemp -d "${TMPDIR:-/tmp}/rudis-callgrind.XXXXXX")    # kept: results
DATA=$(mktemp -d "${TMPDIR:-/tmp}/rudis-callgrind-dir.XXXXXX") # removed: server's --dir
CG=$OUT/callgrind.out
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then kill -KILL "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$DATA"
}
trap cleanup EXIT

PORT=${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
# shellcheck disable=SC2086 # RUDIS_ARGS is a list of flags
valgrind --tool=callgrind --callgrind-out-file="$CG" --log-file="$OUT/valgrind.log" \
  "$BIN" --port "$PORT" --bind 127.0.0.1 --save "" --dir "$DATA" --busy-poll-us 0 \
  --loglevel warning ${RUDIS_ARGS:-} >"$OUT/server.log" 2>&1 &
SERVER_PID=$!

# Startup under valgrind takes a few seconds; give it at most 60.
up=""
for _ in $(seq 600); do
  if redis-cli -p "$PORT" ping 2>/dev/null | grep -q PONG; then up=1; break; fi
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
[ -n "$up" ] || { echo "server did not answer PING; see $OUT/server.log $OUT/valgrind.log" >&2; exit 1; }

bench() { redis-benchmark -p "$PORT" -c "$CLIENTS" -n "$N" -P "$1" -t "$2" -q 2>/dev/null | tr '\r' '\n' | grep -v '^$' | tail -1; }
for p in "$P" ${P1:+"$P1"}; do
  for t in set get; do
    echo "  $(bench "$p" "$t")  (-P $p)"
  done
done

# A clean exit makes callgrind write its file: SHUTDOWN NOSAVE, then SIGTERM, then give up.
redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
for i in $(seq 300); do
  kill -0 "$SERVER_PID" 2>/dev/null || break
  [ "$i" = 100 ] && kill -TERM "$SERVER_PID" 2>/dev/null
  sleep 0.1
done
if kill -0 "$SERVER_PID" 2>/dev/null; then echo "server did not exit; no callgrind totals" >&2; exit 1; fi
wait "$SERVER_PID" || true
SERVER_PID=""

TOTAL=$(awk '/^(summary|totals):/ {print $2; exit}' "$CG")
callgrind_annotate --inclusive=no "$CG" >"$OUT/annotate.txt" 2>/dev/null || true
# The totals line, then the first TOP rows of the per-function table.
awk -v top="$TOP" '/PROGRAM TOTALS/ {print} /file:function/ {n = 1; getline; next} n && NF && n <= top {print; n++}' \
  "$OUT/annotate.txt" >"$OUT/top.txt"
echo "binary: $BIN"
echo "requests: $N SET + $N GET at -P $P${P1:+, and at -P $P1}, $CLIENTS clients"
echo "total Ir: $TOTAL"
echo "top $TOP functions by Ir: $OUT/top.txt"
echo "callgrind file: $CG"
