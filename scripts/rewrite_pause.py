#!/usr/bin/env python3
"""Worst pause while the AOF is rewritten (BGREWRITEAOF) under write load.

    python3 scripts/rewrite_pause.py PORT [PORT2 ...]

For each server (started with --appendonly yes): fills N keys (default 1,000,000), then
a probe connection PINGs every millisecond while a writer keeps SETting keys and
BGREWRITEAOF runs until INFO says it is done. Prints the worst and 99.9th-percentile
PING round trip, and the fork time the server reports. Run it against rudis and
redis-server in one run (scripts/rewrite_pause.sh does).
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from latency import BATCH, Probe, connect, read_replies, summary  # noqa: E402

N = int(os.environ.get("N", "1000000"))


def info_field(sock, name):
    sock.sendall(b"INFO persistence\r\n")
    text = read_replies(sock, 1).decode()
    for line in text.split("\r\n"):
        if line.startswith(name + ":"):
            return line.split(":", 1)[1]
    return None


def run(port):
    work = connect(port)
    work.sendall(b"FLUSHALL\r\n")
    read_replies(work, 1)
    for start in range(0, N, BATCH):
        work.sendall(b"".join(
            b"*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$16\r\nvalue:%010d\r\n" % (i, i)
            for i in range(start, min(N, start + BATCH))))
        read_replies(work, min(N, start + BATCH) - start)
    probe = Probe(port)
    probe.start()
    stop = threading.Event()

    def load():
        s = connect(port)
        i = 0
        while not stop.is_set():
            s.sendall(b"".join(
                b"*3\r\n$3\r\nSET\r\n$16\r\nnew:%012d\r\n$1\r\nv\r\n" % (i + j) for j in range(100)))
            read_replies(s, 100)
            i += 100

    writer = threading.Thread(target=load, daemon=True)
    writer.start()
    time.sleep(0.2)
    probe.take()
    ctl = connect(port)
    ctl.sendall(b"BGREWRITEAOF\r\n")
    read_replies(ctl, 1)
    deadline = time.time() + 120
    while time.time() < deadline and info_field(ctl, "aof_rewrite_in_progress") != "0":
        time.sleep(0.05)
    samples = probe.take()
    stop.set()
    writer.join()
    probe.running = False
    probe.join()
    return samples


def main():
    for port in sys.argv[1:]:
        print(f"port {port}: BGREWRITEAOF of {N} keys under load: {summary(run(int(port)))}")


if __name__ == "__main__":
    main()
