#!/usr/bin/env bash
# Worst pause of rudis and redis-server side by side (growth, FLUSHALL, active expiry).
#   scripts/latency.sh            # N=2000000 keys
#   N=500000 scripts/latency.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin rudis-server
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do python3 -c "import socket; socket.create_connection(('127.0.0.1',$1))" 2>/dev/null && return 0; sleep 0.05; done; exit 1; }
pids=(); trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
RUDIS_PORT=$(free_port)
target/release/rudis-server --port "$RUDIS_PORT" --loglevel warning & pids+=($!)
wait_port "$RUDIS_PORT"
ports="$RUDIS_PORT"
echo "rudis on $RUDIS_PORT"
if command -v redis-server >/dev/null; then
  REDIS_PORT=$(free_port)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --loglevel warning >/dev/null & pids+=($!)
  wait_port "$REDIS_PORT"
  ports="$ports $REDIS_PORT"
  echo "redis-server on $REDIS_PORT"
fi
python3 scripts/latency.py $ports
