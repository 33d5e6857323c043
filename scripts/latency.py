#!/usr/bin/env python3
"""Worst pause of a server while it does big jobs, measured from a second connection.

    python3 scripts/latency.py PORT [PORT2 ...]

For each server: a probe connection sends PING every millisecond and records the round
trip, while another connection (1) grows the keyspace to N keys with pipelined SETs,
(2) runs FLUSHALL, then (3) SETs keys with a 1-second TTL and waits for them to expire.
Prints the worst and 99.9th-percentile PING round trip per phase. Standard library only;
run it against rudis and redis-server in the same run (scripts/latency.sh does).
"""
import os
import socket
import sys
import threading
import time

N = int(os.environ.get("N", "2000000"))
BATCH = 1000


def connect(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_replies(sock, count):
    """Reads `count` simple/integer/bulk replies (enough for SET/PING/FLUSHALL/DBSIZE)."""
    buf = b""
    done = 0
    last = None
    while done < count:
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
        while True:
            nl = buf.find(b"\r\n")
            if nl < 0:
                break
            line = buf[:nl]
            if line[:1] == b"$":
                n = int(line[1:])
                need = nl + 2 + (n + 2 if n >= 0 else 0)
                if len(buf) < need:
                    break
                last = buf[nl + 2 : nl + 2 + n] if n >= 0 else None
                buf = buf[need:]
            else:
                last = line
                buf = buf[nl + 2 :]
            done += 1
    return last


class Probe(threading.Thread):
    def __init__(self, port):
        super().__init__(daemon=True)
        self.sock = connect(port)
        self.samples = []
        self.running = True

    def run(self):
        while self.running:
            t = time.perf_counter()
            self.sock.sendall(b"PING\r\n")
            read_replies(self.sock, 1)
            self.samples.append(time.perf_counter() - t)
            time.sleep(0.001)

    def take(self):
        s, self.samples = self.samples, []
        return s


def summary(samples):
    if not samples:
        return "no samples"
    s = sorted(samples)
    p999 = s[min(len(s) - 1, int(len(s) * 0.999))]
    return f"max {s[-1] * 1000:8.2f} ms   p99.9 {p999 * 1000:7.2f} ms   ({len(s)} pings)"


def run(port):
    probe = Probe(port)
    probe.start()
    work = connect(port)
    work.sendall(b"FLUSHALL\r\n")
    read_replies(work, 1)
    probe.take()
    results = []
    for start in range(0, N, BATCH):
        cmds = b"".join(
            b"*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$16\r\nvalue:%010d\r\n" % (i, i)
            for i in range(start, min(N, start + BATCH))
        )
        work.sendall(cmds)
        read_replies(work, min(N, start + BATCH) - start)
    results.append((f"grow to {N} keys", probe.take()))
    work.sendall(b"FLUSHALL\r\n")
    read_replies(work, 1)
    time.sleep(0.2)
    results.append(("FLUSHALL", probe.take()))
    ttl_keys = N // 4
    for start in range(0, ttl_keys, BATCH):
        cmds = b"".join(
            b"*5\r\n$3\r\nSET\r\n$16\r\nttl:%012d\r\n$1\r\nv\r\n$2\r\nPX\r\n$4\r\n1000\r\n" % i
            for i in range(start, min(ttl_keys, start + BATCH))
        )
        work.sendall(cmds)
        read_replies(work, min(ttl_keys, start + BATCH) - start)
    probe.take()
    deadline = time.time() + 30
    while time.time() < deadline:
        work.sendall(b"DBSIZE\r\n")
        if int(read_replies(work, 1)[1:]) == 0:
            break
        time.sleep(0.05)
    results.append((f"active expiry of {ttl_keys} keys", probe.take()))
    probe.running = False
    probe.join()
    return results


def main():
    for port in sys.argv[1:]:
        print(f"port {port}:")
        for phase, samples in run(int(port)):
            print(f"  {phase:34} {summary(samples)}")


if __name__ == "__main__":
    main()
