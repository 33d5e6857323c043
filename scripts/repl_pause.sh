#!/usr/bin/env bash
# Worst pause on a master while a redis-server replica does a full resync of N keys under
# write load, rudis and redis-server in one run (each master in its own temp dir).
#   scripts/repl_pause.sh               # N=1000000 keys, RUNS=3; PROFILE=quick builds faster
#   BIN=/path/to/rudis-server scripts/repl_pause.sh    # a binary already built (no build)
# RUDIS_PORT, REDIS_PORT and REPLICA_PORT pick the ports (default: free ones).
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=${PROFILE:-release}
if [ -z "${BIN:-}" ]; then
  cargo build --profile "$PROFILE" --quiet --bin rudis-server
  BIN=target/"$PROFILE"/rudis-server
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do python3 -c "import socket; socket.create_connection(('127.0.0.1',$1))" 2>/dev/null && return 0; sleep 0.05; done; exit 1; }
pids=(); dirs=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "${dirs[@]}"' EXIT
RD=$(mktemp -d); dirs+=("$RD")
RUDIS_PORT=${RUDIS_PORT:-$(free_port)}
"$BIN" --port "$RUDIS_PORT" --dir "$RD" --loglevel "${RUDIS_LOGLEVEL:-warning}" &> "${RUDIS_LOG:-/dev/stderr}" & pids+=($!)
wait_port "$RUDIS_PORT"
ports="rudis=$RUDIS_PORT"
echo "rudis on $RUDIS_PORT"
if command -v redis-server >/dev/null; then
  SD=$(mktemp -d); dirs+=("$SD")
  REDIS_PORT=${REDIS_PORT:-$(free_port)}
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$SD" --save "" \
    --loglevel warning >/dev/null & pids+=($!)
  wait_port "$REDIS_PORT"
  ports="$ports redis-server=$REDIS_PORT"
  echo "redis-server on $REDIS_PORT"
fi
python3 scripts/repl_pause.py $ports
