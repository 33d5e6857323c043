#!/usr/bin/env python3
"""The seed README's Python session, run against rudis with a client that speaks the seed's
protocol (RESP plus the `%` map type), using only the standard library.

    cargo run --release --bin rudis-server &
    python3 scripts/seed_session.py            # or: python3 scripts/seed_session.py HOST PORT
"""
import socket
import sys


class ProtocolError(Exception):
    pass


class Client:
    """A minimal client in the seed's style: commands are arrays whose arguments may be
    strings, bytes, integers, None, lists and dicts (sent as nested RESP)."""

    def __init__(self, host="127.0.0.1", port=31337):
        self.sock = socket.create_connection((host, port))
        self.file = self.sock.makefile("rb")

    # -- encoding -------------------------------------------------------------
    def _encode(self, value):
        if value is None:
            return b"$-1\r\n"
        if isinstance(value, bool):
            return b"#t\r\n" if value else b"#f\r\n"
        if isinstance(value, int):
            return b":%d\r\n" % value
        if isinstance(value, str):
            value = value.encode()
        if isinstance(value, bytes):
            return b"$%d\r\n%s\r\n" % (len(value), value)
        if isinstance(value, (list, tuple)):
            return b"*%d\r\n" % len(value) + b"".join(self._encode(v) for v in value)
        if isinstance(value, dict):
            out = b"%%%d\r\n" % len(value)
            for k, v in value.items():
                out += self._encode(k) + self._encode(v)
            return out
        raise TypeError(f"cannot send {type(value).__name__}")

    # -- decoding -------------------------------------------------------------
    def _read(self):
        line = self.file.readline()
        if not line.endswith(b"\r\n"):
            raise ProtocolError("connection closed")
        kind, body = line[:1], line[1:-2]
        if kind == b"+":
            return body.decode()
        if kind == b"-":
            raise ProtocolError(body.decode())
        if kind == b":":
            return int(body)
        if kind == b"$":
            n = int(body)
            if n < 0:
                return None
            data = self.file.read(n + 2)[:-2]
            return data.decode()
        if kind == b"_":
            return None
        if kind == b"*":
            n = int(body)
            return None if n < 0 else [self._read() for _ in range(n)]
        if kind == b"%":
            return {self._read(): self._read() for _ in range(int(body))}
        raise ProtocolError(f"unknown reply type {kind!r}")

    def execute(self, *args):
        self.sock.sendall(self._encode(list(args)))
        return self._read()

    # -- the seed's API ---------------------------------------------------------
    def get(self, key):
        return self.execute("GET", key)

    def set(self, key, value):
        return self.execute("SET", key, value)

    def delete(self, key):
        return self.execute("DELETE", key)

    def flush(self):
        return self.execute("FLUSH")

    def mget(self, *keys):
        return self.execute("MGET", *keys)

    def mset(self, *items):
        return self.execute("MSET", *items)


def main():
    host = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 31337
    client = Client(host, port)
    checks = []

    print(">>> client.set('key', 'value')")
    print(repr(client.set("key", "value")))
    print(">>> client.get('key')")
    got = client.get("key")
    print(repr(got))
    checks.append(got == "value")

    print(">>> client.set('complex', {'nested': [1, 2, 3]})")
    print(repr(client.set("complex", {"nested": [1, 2, 3]})))
    print(">>> client.get('complex')")
    got = client.get("complex")
    print(repr(got))
    checks.append(got == {"nested": [1, 2, 3]})

    complex_data = {"name": "test", "values": [1, 2, 3]}
    client.set("complex", complex_data)
    checks.append(client.get("complex") == complex_data)
    client.mset("k1", "v1", "k2", "v2", "k3", "v3")
    checks.append(client.mget("k1", "k2", "k3") == ["v1", "v2", "v3"])
    client.delete("k1")
    checks.append(client.get("k1") is None)
    count = client.flush()
    print(f"FLUSH test: {count} keys removed")
    # key, complex, k2, k3 (plus whatever else the database held)
    checks.append(count >= 4 and client.get("k2") is None)

    ok = all(checks)
    print("seed session:", "Success" if ok else f"Failure {checks}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
