#!/usr/bin/env python3
"""Worst pause on a master while a replica does a full resync under write load.

    python3 scripts/repl_pause.py PORT [PORT2 ...]

For each master: fills N keys (default 1,000,000), then a probe connection PINGs every
millisecond while a writer keeps SETting keys and a fresh `redis-server --replicaof`
the master does a full sync, until the master's INFO shows the replica online. Prints
the worst and 99.9th-percentile PING round trip. Run it against rudis and redis-server
in one run (scripts/repl_pause.sh does).
"""
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from latency import BATCH, Probe, connect, read_replies, summary  # noqa: E402

N = int(os.environ.get("N", "1000000"))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def replication(sock):
    sock.sendall(b"INFO replication\r\n")
    return read_replies(sock, 1).decode()


def run(port):
    work = connect(port)
    work.sendall(b"FLUSHALL\r\n")
    read_replies(work, 1)
    for start in range(0, N, BATCH):
        work.sendall(b"".join(
            b"*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$16\r\nvalue:%010d\r\n" % (i, i)
            for i in range(start, min(N, start + BATCH))))
        read_replies(work, min(N, start + BATCH) - start)
    work.sendall(b"CONFIG SET repl-diskless-sync-delay 0\r\n")
    read_replies(work, 1)
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
    rport = int(os.environ.get("REPLICA_PORT", "0")) or free_port()
    rdir = tempfile.mkdtemp()
    replica = subprocess.Popen(
        ["redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--save", "",
         "--dir", rdir, "--replicaof", "127.0.0.1", str(port), "--loglevel", "warning"],
        stdout=subprocess.DEVNULL)
    started = time.time()
    ctl = connect(port)
    try:
        while time.time() < started + 300 and "state=online" not in replication(ctl):
            time.sleep(0.05)
        took = time.time() - started
        samples = probe.take()
    finally:
        replica.kill()
        replica.wait()
    stop.set()
    writer.join()
    probe.running = False
    probe.join()
    return samples, took


def main():
    for port in sys.argv[1:]:
        samples, took = run(int(port))
        print(f"port {port}: full resync of {N} keys under load ({took:.1f} s): {summary(samples)}")


if __name__ == "__main__":
    main()
