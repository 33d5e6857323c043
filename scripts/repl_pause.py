#!/usr/bin/env python3
"""Worst pause on a master while a replica does a full resync under write load.

    python3 scripts/repl_pause.py [NAME=]PORT [[NAME=]PORT2 ...]    # RUNS=3, N=1000000

For each master: fills N keys (default 1,000,000), then a probe connection PINGs every
millisecond while a writer (its own process, so the probe never waits for Python's
GIL) keeps SETting keys and a fresh `redis-server --replicaof` the master does a full
sync. The window ends once the replica has loaded the snapshot and caught up with the
stream written meanwhile (its `slave_repl_offset` reaches the master's offset at the
moment its link came up), so it covers the fork, the transfer, the replica's load and
the start of the stream on both servers alike. Prints the worst and 99.9th-percentile
PING round trip, and when the master called the replica online; at the end each
master's worst pause over RUNS runs (and their median), and the ratio of the first
master's to the second's. Run it against rudis and redis-server in one run
(scripts/repl_pause.sh does).
"""
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from latency import BATCH, Probe, connect, read_replies, summary  # noqa: E402

N = int(os.environ.get("N", "1000000"))
# Runs per master: one run's worst ping also catches the scheduler on a busy machine.
RUNS = int(os.environ.get("RUNS", "3"))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def replication(sock):
    sock.sendall(b"INFO replication\r\n")
    return read_replies(sock, 1).decode()


def field(info, name):
    for line in info.splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    return ""


def load(port, stop):
    """Pipelined SETs of new keys, 100 at a time, until `stop` is set."""
    s = connect(port)
    i = 0
    while not stop.is_set():
        s.sendall(b"".join(
            b"*3\r\n$3\r\nSET\r\n$16\r\nnew:%012d\r\n$1\r\nv\r\n" % (i + j) for j in range(100)))
        read_replies(s, 100)
        i += 100


def try_connect(port):
    try:
        return connect(port)
    except OSError:
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
    work.sendall(b"CONFIG SET repl-diskless-sync-delay 0\r\n")
    read_replies(work, 1)
    probe = Probe(port)
    probe.start()
    stop = multiprocessing.Event()
    writer = multiprocessing.Process(target=load, args=(port, stop), daemon=True)
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
    online = target = None
    rsock = None
    try:
        while time.time() < started + 300:
            if online is None and "state=online" in replication(ctl):
                online = time.time() - started
            rsock = rsock or try_connect(rport)
            if rsock is not None:
                info = replication(rsock)
                if target is None and field(info, "master_link_status") == "up":
                    target = int(field(replication(ctl), "master_repl_offset"))
                if target is not None and int(field(info, "slave_repl_offset") or 0) >= target:
                    break
            time.sleep(0.05)
        took = time.time() - started
        samples = probe.take()
    finally:
        replica.kill()
        replica.wait()
        shutil.rmtree(rdir, ignore_errors=True)
    stop.set()
    writer.join()
    probe.running = False
    probe.join()
    return samples, took, online


def main():
    """Arguments are PORT or NAME=PORT; RUNS (default 3) runs each, interleaved."""
    masters = [a.split("=", 1) if "=" in a else [f"port {a}", a] for a in sys.argv[1:]]
    worst = {name: [] for name, _ in masters}
    for n in range(RUNS):
        for name, port in masters:
            samples, took, online = run(int(port))
            shown = f"{online:.1f} s" if online is not None else "never"
            print(f"run {n + 1}/{RUNS} {name}: full resync of {N} keys under load (online at "
                  f"{shown}, caught up at {took:.1f} s): {summary(samples)}", flush=True)
            worst[name].append(max(samples) * 1000 if samples else float("nan"))
    for name, ms in worst.items():
        print(f"{name}: worst pause {max(ms):.1f} ms, median of runs {statistics.median(ms):.1f} ms "
              f"(runs: {', '.join(f'{m:.1f}' for m in ms)})")
    if len(masters) >= 2:
        (a, am), (b, bm) = list(worst.items())[:2]
        print(f"ratio {a} / {b}: worst {max(am) / max(bm):.2f}, "
              f"median {statistics.median(am) / statistics.median(bm):.2f}")


if __name__ == "__main__":
    main()
