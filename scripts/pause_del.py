#!/usr/bin/env python3
"""How long DEL of a one-million-element collection stalls the server, rudis next to
redis-server (whose DEL frees synchronously unless lazyfree-lazy-user-del is set).

    cargo build --release && python3 scripts/pause_del.py
    SCALE=0.1 python3 scripts/pause_del.py      # 100k elements

For each type, a fresh server of each kind is loaded with one big key (as
scripts/memory.py loads it), then the round trip of `DEL big` and of the PING right
after it are timed. Standard library only.
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import memory  # noqa: E402  (the loaders and server handling are shared)


def pause(argv_for_port, scenario):
    gen, _ = memory.SCENARIOS[scenario]
    port = memory.free_port()
    proc = subprocess.Popen(argv_for_port(port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        conn = memory.Conn(port)
        conn.run([[b"PING"]])
        conn.run(gen())
        start = time.perf_counter()
        conn.run([[b"DEL", b"big"]])
        deleted = time.perf_counter()
        conn.run([[b"PING"]])
        done = time.perf_counter()
        return (deleted - start) * 1000, (done - deleted) * 1000
    finally:
        proc.terminate()
        proc.wait()


def main():
    servers = memory.servers()
    print(f"{'scenario':<10} " + " ".join(f"{n + ' DEL ms':>14} {n + ' PING ms':>14}" for n, _ in servers))
    for scenario in ["list_big", "hash_big", "set_big", "zset_big"]:
        cells = []
        for _, argv in servers:
            d, p = pause(argv, scenario)
            cells.append(f"{d:>14.2f} {p:>14.2f}")
        print(f"{scenario:<10} " + " ".join(cells), flush=True)


if __name__ == "__main__":
    sys.exit(main())
