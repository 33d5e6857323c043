#!/usr/bin/env python3
"""Eviction under load, rudis next to redis-server: RSS, evictions, hot keys kept.

    cargo build --release && python3 scripts/evict_compare.py
    PORT_BASE=41000 WRITES=1000000 HOT=5000 MAXMEMORY=64mb POLICY=allkeys-lru \\
        python3 scripts/evict_compare.py
    NOMAX=1 python3 scripts/evict_compare.py    # also the same load without maxmemory

Each server starts fresh with `--maxmemory MAXMEMORY --maxmemory-policy POLICY` and
no persistence. HOT keys are written first; then WRITES new keys with 100-byte
values go in, pipelined BATCH at a time, and after every batch BATCH of the hot
keys are read (round robin), so every hot key is read once per HOT writes. RSS is
sampled from /proc after every batch. At the end it prints, per server: the peak
RSS, evicted_keys, keys left, how many hot keys survived, and the elapsed time
(writes + reads per second). Standard library only.
"""
import os
import shutil
import subprocess
import sys
import time

WRITES = int(os.environ.get("WRITES", "1000000"))
HOT = int(os.environ.get("HOT", "5000"))
BATCH = int(os.environ.get("BATCH", "1000"))
MAXMEMORY = os.environ.get("MAXMEMORY", "64mb")
POLICY = os.environ.get("POLICY", "allkeys-lru")
PORT_BASE = int(os.environ.get("PORT_BASE", "41000"))
VALUE = b"v" * 100


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from memory import Conn as BaseConn, encode  # noqa: E402  (the same RESP helpers)


class Conn(BaseConn):
    """memory.py's connection, reading replies' values too."""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise RuntimeError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b":"):
            return rest
        if kind == b"-":
            return RuntimeError(rest.decode())
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.buf += self.sock.recv(1 << 20)
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        if kind == b"*":
            return [self._reply() for _ in range(int(rest))]
        raise RuntimeError(f"unexpected reply {line!r}")

    def pipeline(self, commands):
        self.sock.sendall(b"".join(encode(*c) for c in commands))
        return [self._reply() for _ in commands]

    def cmd(self, *args):
        return self.pipeline([args])[0]


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def info_field(conn, section, name):
    text = conn.cmd("INFO", section).decode()
    for line in text.splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    return "?"


def run(name, argv, port, limited):
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        conn = Conn(port)
        if limited:
            conn.cmd("CONFIG", "SET", "maxmemory", MAXMEMORY)
            conn.cmd("CONFIG", "SET", "maxmemory-policy", POLICY)
        start_rss = rss(proc.pid)
        conn.pipeline([("SET", f"hot:{i}", VALUE) for i in range(HOT)])
        peak = rss(proc.pid)
        errors = 0
        hot_next = 0
        began = time.time()
        for start in range(0, WRITES, BATCH):
            n = min(BATCH, WRITES - start)
            replies = conn.pipeline([("SET", f"key:{start + i}", VALUE) for i in range(n)])
            errors += sum(isinstance(r, Exception) for r in replies)
            reads = []
            for _ in range(n):
                reads.append(("GET", f"hot:{hot_next}"))
                hot_next = (hot_next + 1) % HOT
            conn.pipeline(reads)
            peak = max(peak, rss(proc.pid))
        elapsed = time.time() - began
        survived = sum(
            r == b"1" for r in conn.pipeline([("EXISTS", f"hot:{i}") for i in range(HOT)])
        )
        return {
            "server": name,
            "maxmemory": MAXMEMORY if limited else "0",
            "start_rss_mb": start_rss / 2**20,
            "peak_rss_mb": peak / 2**20,
            "used_memory_mb": int(info_field(conn, "memory", "used_memory")) / 2**20,
            "evicted_keys": int(info_field(conn, "stats", "evicted_keys")),
            "keys": int(conn.cmd("DBSIZE")),
            "hot_survived": survived,
            "write_errors": errors,
            "seconds": elapsed,
            "ops_per_sec": 2 * WRITES / elapsed,
        }
    finally:
        proc.kill()
        proc.wait()


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rudis = os.environ.get("RUDIS", os.path.join(root, "target/release/rudis-server"))
    ports = iter(range(PORT_BASE + 10, PORT_BASE + 100))
    servers = [("rudis", lambda p: [rudis, "--port", str(p), "--loglevel", "warning"])]
    if shutil.which("redis-server"):
        servers.append(("redis", lambda p: ["redis-server", "--port", str(p), "--bind",
                                            "127.0.0.1", "--save", "", "--appendonly", "no",
                                            "--loglevel", "warning"]))
    else:
        print("(redis-server not installed: rudis only)")
    modes = [True] + ([False] if os.environ.get("NOMAX") else [])
    results = []
    for limited in modes:
        for name, argv in servers:
            port = next(ports)
            r = run(name, argv(port), port, limited)
            results.append(r)
            print(", ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}"
                            for k, v in r.items()), flush=True)
    by = {(r["server"], r["maxmemory"]): r for r in results}
    ru, re_ = by.get(("rudis", MAXMEMORY)), by.get(("redis", MAXMEMORY))
    print(f"\n{WRITES} writes of 100-byte values, {HOT} hot keys read continually, "
          f"maxmemory {MAXMEMORY}, {POLICY}:")
    if ru:
        print(f"  rudis: peak RSS {ru['peak_rss_mb']:.1f} MB, evicted {ru['evicted_keys']}, "
              f"hot keys kept {ru['hot_survived']}/{HOT}")
    if re_:
        print(f"  redis: peak RSS {re_['peak_rss_mb']:.1f} MB, evicted {re_['evicted_keys']}, "
              f"hot keys kept {re_['hot_survived']}/{HOT}")
    if ru and re_ and re_["hot_survived"]:
        print(f"  rudis keeps {100 * ru['hot_survived'] / re_['hot_survived']:.1f}% as many "
              f"hot keys as redis")
    return 0


if __name__ == "__main__":
    sys.exit(main())
