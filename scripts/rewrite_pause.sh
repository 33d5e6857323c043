#!/usr/bin/env bash
# Worst pause during BGREWRITEAOF of N keys under write load, rudis and redis-server in
# one run (both with appendonly yes, appendfsync everysec, each in its own temp dir).
#   scripts/rewrite_pause.sh            # N=1000000 keys
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin rudis-server
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do python3 -c "import socket; socket.create_connection(('127.0.0.1',$1))" 2>/dev/null && return 0; sleep 0.05; done; exit 1; }
pids=(); dirs=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "${dirs[@]}"' EXIT
RD=$(mktemp -d); dirs+=("$RD")
RUDIS_PORT=$(free_port)
target/release/rudis-server --port "$RUDIS_PORT" --dir "$RD" --appendonly yes --loglevel warning & pids+=($!)
wait_port "$RUDIS_PORT"
ports="$RUDIS_PORT"
echo "rudis on $RUDIS_PORT"
if command -v redis-server >/dev/null; then
  SD=$(mktemp -d); dirs+=("$SD")
  REDIS_PORT=$(free_port)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$SD" --save "" --appendonly yes \
    --loglevel warning >/dev/null & pids+=($!)
  wait_port "$REDIS_PORT"
  ports="$ports $REDIS_PORT"
  echo "redis-server on $REDIS_PORT"
fi
python3 scripts/rewrite_pause.py $ports
