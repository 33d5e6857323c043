#!/usr/bin/env python3
"""Differential test: the same random hash, set and sorted-set commands sent to rudis and
to redis-server, replies compared (unordered replies sorted, errors by their first word).

    cargo build --release && python3 scripts/diff_redis.py [SEED] [COMMANDS] [resp3]

Small encoding limits are set on both servers so conversions happen often. Prints each
difference (at most 15) and the count. Known differences: HINCRBYFLOAT's last digits
(Redis computes in long double), and ZRANGEBYLEX/ZLEXCOUNT on sorted sets whose scores
differ (unspecified by Redis). Needs redis-server (apt-get install -y redis-server).
"""
import os
import random
import subprocess
import sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import memory

def parse(buf, i):
    t = buf[i:i+1]; nl = buf.index(b"\r\n", i); line = buf[i+1:nl]; j = nl + 2
    if t in b"+-:,#_(": return (t.decode(), line), j
    if t in b"$=": 
        n = int(line)
        if n < 0: return ("$", None), j
        return ("$", buf[j:j+n]), j + n + 2
    if t in b"*~>%":
        n = int(line)
        if n < 0: return ("*", None), j
        cnt = n * 2 if t == b"%" else n
        items = []
        for _ in range(cnt):
            v, j = parse(buf, j); items.append(v)
        return (t.decode(), items), j
    raise ValueError(buf[i:i+50])

class C:
    def __init__(s, port):
        s.c = memory.Conn(port); s.buf = b""
    def cmd(s, args):
        s.c.send(memory.encode(*args))
        while True:
            try:
                v, j = parse(s.buf, 0); s.buf = s.buf[j:]; return v
            except (ValueError, IndexError):
                chunk = s.c.sock.recv(1 << 20)
                if not chunk: raise ConnectionError
                s.buf += chunk

UNORDERED = {"smembers","sinter","sunion","sdiff","hkeys","hvals","hgetall","sscan","hscan","zscan","keys"}
def norm(name, v):
    if name in UNORDERED and v[0] in "*~%" and v[1] is not None:
        if name == "hgetall":
            pairs = [tuple(map(repr, v[1][i:i+2])) for i in range(0, len(v[1]), 2)]
            return ("*", sorted(pairs))
        return ("*", sorted(map(repr, v[1])))
    if v[0] == "-":
        return ("-", v[1].split(b" ")[0])
    if v[0] == "~": return ("*", v[1])
    return v

rng = random.Random(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
K = ["h1","h2","s1","s2","s3","z1","z2","str","l1"]
def mem(): return rng.choice(["a","b","c","d","e","1","2","3","10","-5","x"*70, "m%d" % rng.randint(0,200)])
def num(): return rng.choice(["0","1","-1","2","5","100","-3","1.5","inf","-inf","abc","(1","(2","+inf"])
def cmd():
    c = rng.choice(["sadd","srem","sismember","smismember","scard","smove","sinter","sunion","sdiff","sinterstore","sunionstore","sdiffstore","sintercard","smembers",
                    "hset","hsetnx","hget","hmget","hdel","hexists","hlen","hkeys","hvals","hgetall","hincrby","hincrbyfloat","hstrlen",
                    "zadd","zrem","zscore","zmscore","zincrby","zcard","zcount","zrank","zrevrank","zrange","zrangebyscore","zrevrangebyscore","zrangebylex","zlexcount","zremrangebyrank","zremrangebyscore","zpopmin","zpopmax","zunionstore","zinterstore","zdiffstore","zunion","zinter","zdiff","zrangestore",
                    "del","type","exists","set","copy"])
    k = rng.choice(K)
    if c in ("sadd","srem","smismember"): return [c, k] + [mem() for _ in range(rng.randint(1,6))]
    if c == "sismember": return [c, k, mem()]
    if c in ("scard","smembers","hlen","hkeys","hvals","hgetall","zcard","del","type","exists"): return [c, k]
    if c == "smove": return [c, k, rng.choice(K), mem()]
    if c in ("sinter","sunion","sdiff"): return [c] + [rng.choice(K) for _ in range(rng.randint(1,3))]
    if c in ("sinterstore","sunionstore","sdiffstore"): return [c, rng.choice(K)] + [rng.choice(K) for _ in range(rng.randint(1,3))]
    if c == "sintercard": ks=[rng.choice(K) for _ in range(rng.randint(1,3))]; return [c, str(len(ks))] + ks + (["LIMIT", rng.choice(["0","1","2"])] if rng.random()<0.3 else [])
    if c in ("hset",): a=[c,k]; [a.extend([mem(), mem()]) for _ in range(rng.randint(1,4))]; return a
    if c == "hsetnx": return [c, k, mem(), mem()]
    if c in ("hget","hexists","hstrlen"): return [c, k, mem()]
    if c in ("hmget","hdel"): return [c, k] + [mem() for _ in range(rng.randint(1,4))]
    if c == "hincrby": return [c, k, mem(), rng.choice(["1","-2","100","abc","9223372036854775807"])]
    if c == "hincrbyfloat": return [c, k, mem(), rng.choice(["1.5","-2","0.1","abc","1e10"])]
    if c == "zadd":
        a=[c,k]+rng.sample(["NX","XX","GT","LT","CH"], rng.randint(0,2))
        for _ in range(rng.randint(1,4)): a += [num(), mem()]
        return a
    if c in ("zrem",): return [c,k]+[mem() for _ in range(rng.randint(1,3))]
    if c in ("zscore","zrank","zrevrank"): return [c,k,mem()]
    if c == "zmscore": return [c,k]+[mem() for _ in range(rng.randint(1,3))]
    if c == "zincrby": return [c,k,num(),mem()]
    if c in ("zcount","zrangebyscore","zremrangebyscore"): return [c,k,num(),num()] + (["WITHSCORES"] if c=="zrangebyscore" and rng.random()<0.5 else [])
    if c == "zrevrangebyscore": return [c,k,num(),num()]
    if c in ("zrangebylex","zlexcount"): return [c,k,rng.choice(["-","[a","(b","[c","+"]),rng.choice(["+","[d","(e","-"])]
    if c in ("zrange",): return [c,k,rng.choice(["0","1","-1","-3"]),rng.choice(["-1","2","0","10"])] + (["WITHSCORES"] if rng.random()<0.5 else []) + (["REV"] if rng.random()<0.3 else [])
    if c == "zremrangebyrank": return [c,k,rng.choice(["0","1","-2"]),rng.choice(["0","1","-1"])]
    if c in ("zpopmin","zpopmax"): return [c,k] + ([rng.choice(["1","2","5"])] if rng.random()<0.5 else [])
    if c in ("zunionstore","zinterstore","zdiffstore"):
        ks=[rng.choice(K) for _ in range(rng.randint(1,3))]; a=[c,rng.choice(K),str(len(ks))]+ks
        if c!="zdiffstore" and rng.random()<0.3: a += ["WEIGHTS"]+[rng.choice(["1","2","-1"]) for _ in ks]
        if c!="zdiffstore" and rng.random()<0.3: a += ["AGGREGATE", rng.choice(["SUM","MIN","MAX"])]
        return a
    if c in ("zunion","zinter","zdiff"):
        ks=[rng.choice(K) for _ in range(rng.randint(1,3))]; return [c,str(len(ks))]+ks+(["WITHSCORES"] if rng.random()<0.5 else [])
    if c == "zrangestore": return [c, rng.choice(K), k, "0", "-1"]
    if c == "set": return [c, k, mem()]
    if c == "copy": return [c, k, rng.choice(K), "REPLACE"]

def start(argv):
    port = memory.free_port()
    p = subprocess.Popen(argv(port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return p, C(port)
servers = memory.servers()
(pa, a), (pb, b) = [start(argv) for _, argv in servers]
diffs = 0
try:
    if len(sys.argv) > 3:
        for c in (a, b): c.cmd(["HELLO", "3"])
    for cfg in (["hash-max-listpack-entries","4"],["zset-max-listpack-entries","4"],["set-max-intset-entries","4"],["set-max-listpack-entries","4"]):
        for c in (a, b): c.cmd(["CONFIG","SET"]+cfg)
    for i in range(int(sys.argv[2]) if len(sys.argv) > 2 else 20000):
        args = cmd()
        ra, rb = norm(args[0], a.cmd(args)), norm(args[0], b.cmd(args))
        if ra != rb:
            diffs += 1
            if diffs <= 15: print("DIFF", args, "\n  rudis:", ra, "\n  redis:", rb)

finally:
    pa.terminate(); pb.terminate()
print("diffs", diffs)
