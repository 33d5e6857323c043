#!/usr/bin/env python3
"""Bytes of RSS per element, rudis next to redis-server, for strings and every collection.

    cargo build --release && python3 scripts/memory.py           # all scenarios
    SCENARIOS=list_big,set_small python3 scripts/memory.py        # some of them
    SCALE=0.1 python3 scripts/memory.py                           # 10x fewer elements

Each scenario runs on a fresh server of each kind (so allocator history does not
carry over): RSS is read from /proc before and after loading, and the growth is
divided by the number of elements loaded. Elements are 16-byte members/fields/values
(or integers for `set_ints`); "small" scenarios spread them over many 10-element
collections, "big" ones put them all in one. Standard library only; needs
redis-server for the comparison (apt-get install -y redis-server).
"""
import os
import shutil
import socket
import subprocess
import sys
import time

SCALE = float(os.environ.get("SCALE", "1"))
BIG = int(1_000_000 * SCALE)
SMALL_KEYS = int(100_000 * SCALE)
SMALL_SIZE = 10
PIPELINE = 200


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn:
    def __init__(self, port):
        for _ in range(200):
            try:
                self.sock = socket.create_connection(("127.0.0.1", port))
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError(f"server on {port} did not start")
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def read_replies(self, n):
        """Skips `n` replies (integers, simple strings or errors: what writes return)."""
        while n > 0:
            nl = self.buf.find(b"\r\n")
            if nl < 0:
                chunk = self.sock.recv(1 << 20)
                if not chunk:
                    raise ConnectionError("closed")
                self.buf += chunk
                continue
            line = self.buf[:nl]
            if line.startswith(b"-"):
                raise RuntimeError(line.decode())
            self.buf = self.buf[nl + 2 :]
            n -= 1

    def run(self, commands):
        """Sends commands in pipelined batches, reading every reply."""
        batch = []
        for cmd in commands:
            batch.append(encode(*cmd))
            if len(batch) == PIPELINE:
                self.send(b"".join(batch))
                self.read_replies(len(batch))
                batch = []
        if batch:
            self.send(b"".join(batch))
            self.read_replies(len(batch))


def member(i):
    return b"m%015d" % i  # 16 bytes


def chunks(total, size):
    for start in range(0, total, size):
        yield range(start, min(total, start + size))


def big(cmd, key_extra=lambda i: [member(i)], per=100):
    """One key, `BIG` elements added `per` per command."""
    def gen():
        for part in chunks(BIG, per):
            args = []
            for i in part:
                args.extend(key_extra(i))
            yield [cmd, b"big"] + args
    return gen, BIG


def small(cmd, key_extra=lambda i: [member(i)]):
    """`SMALL_KEYS` keys of `SMALL_SIZE` elements each."""
    def gen():
        for k in range(SMALL_KEYS):
            args = []
            for i in range(SMALL_SIZE):
                args.extend(key_extra(k * SMALL_SIZE + i))
            yield [cmd, b"k%015d" % k] + args
    return gen, SMALL_KEYS * SMALL_SIZE


SCENARIOS = {
    "strings": (lambda: ([b"SET", b"k%015d" % i, member(i)] for i in range(BIG)), BIG),
    "list_big": big(b"RPUSH"),
    "list_small": small(b"RPUSH"),
    "hash_big": big(b"HSET", lambda i: [member(i), member(i)]),
    "hash_small": small(b"HSET", lambda i: [member(i), member(i)]),
    "set_big": big(b"SADD"),
    "set_ints": big(b"SADD", lambda i: [i * 7]),
    "set_small": small(b"SADD"),
    "zset_big": big(b"ZADD", lambda i: [i, member(i)]),
    "zset_small": small(b"ZADD", lambda i: [i, member(i)]),
}


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def measure(argv_for_port, scenario):
    gen, count = SCENARIOS[scenario]
    port = free_port()
    proc = subprocess.Popen(argv_for_port(port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        conn = Conn(port)
        conn.run([[b"PING"]])
        before = rss(proc.pid)
        conn.run(gen())
        after = rss(proc.pid)
        return (after - before) / count
    finally:
        proc.terminate()
        proc.wait()


def servers():
    """(name, argv-for-port) of rudis ($RUDIS or the release build) and, when installed,
    redis-server without persistence."""
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    rudis = os.environ.get("RUDIS", os.path.join(root, "target/release/rudis-server"))
    found = [("rudis", lambda p: [rudis, "--port", str(p), "--loglevel", "warning"])]
    if shutil.which("redis-server"):
        found.append(("redis", lambda p: ["redis-server", "--port", str(p), "--save", "",
                                          "--appendonly", "no", "--loglevel", "warning"]))
    else:
        print("(redis-server not installed: rudis only)")
    return found


def main():
    found = servers()
    names = os.environ.get("SCENARIOS", ",".join(SCENARIOS)).split(",")
    print(f"{'scenario':<12} {'elements':>9} " + " ".join(f"{n + ' B/elem':>13}" for n, _ in found)
          + ("  ratio" if len(found) == 2 else ""))
    for name in names:
        figures = [measure(argv, name) for _, argv in found]
        line = f"{name:<12} {SCENARIOS[name][1]:>9} " + " ".join(f"{f:>13.1f}" for f in figures)
        if len(figures) == 2 and figures[1] > 0:
            line += f"  {figures[0] / figures[1]:.2f}"
        print(line, flush=True)


if __name__ == "__main__":
    sys.exit(main())
