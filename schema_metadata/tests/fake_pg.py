"""Tiny PostgreSQL-protocol servers on 127.0.0.1 that fail the way real ones do, for connect errors."""

from __future__ import annotations

import socket
import struct
import threading
from contextlib import contextmanager

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104


def _recv_exact(sock, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("client went away")
        data += chunk
    return data


def _read_startup(sock) -> None:
    """Refuse SSL/GSS encryption, then read the startup packet."""
    while True:
        length, code = struct.unpack("!ii", _recv_exact(sock, 8))
        if length == 8 and code in (SSL_REQUEST, GSSENC_REQUEST):
            sock.sendall(b"N")
            continue
        _recv_exact(sock, length - 8)
        return


def _error(sqlstate: str, message: str) -> bytes:
    fields = (
        b"".join(
            key + value.encode() + b"\0"
            for key, value in ((b"S", "FATAL"), (b"V", "FATAL"), (b"C", sqlstate), (b"M", message))
        )
        + b"\0"
    )
    return b"E" + struct.pack("!i", len(fields) + 4) + fields


def _serve_wrong_password(conn) -> None:
    _read_startup(conn)
    conn.sendall(b"R" + struct.pack("!ii", 8, 3))  # AuthenticationCleartextPassword
    kind = _recv_exact(conn, 1)
    length = struct.unpack("!i", _recv_exact(conn, 4))[0]
    _recv_exact(conn, length - 4)
    assert kind == b"p"
    conn.sendall(_error("28P01", 'password authentication failed for user "app"'))


def _message(kind: bytes, payload: bytes) -> bytes:
    return kind + struct.pack("!i", len(payload) + 4) + payload


def _serve_frozen(conn, stop: threading.Event) -> None:
    """A server that lets the client in, then freezes once a query is sent (a stopped server process)."""
    _read_startup(conn)
    conn.sendall(_message(b"R", struct.pack("!i", 0)))  # AuthenticationOk
    for name, value in (("server_version", "16.4"), ("client_encoding", "UTF8"), ("DateStyle", "ISO, MDY"),
                        ("standard_conforming_strings", "on"), ("integer_datetimes", "on")):  # fmt: skip
        conn.sendall(_message(b"S", name.encode() + b"\0" + value.encode() + b"\0"))
    conn.sendall(_message(b"K", struct.pack("!ii", 4242, 1234)))  # BackendKeyData
    conn.sendall(_message(b"Z", b"I"))  # ReadyForQuery
    conn.recv(65536)  # the first query arrives ... and is never answered
    stop.wait(60)


def _serve_silence(conn, stop: threading.Event) -> None:
    stop.wait(10)  # accept and never answer: the client's connect timeout must fire


@contextmanager
def fake_server(behaviour: str):
    """Yields the port of a server on 127.0.0.1 that answers with `behaviour`."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    stop = threading.Event()

    def handle(conn):
        try:
            if behaviour == "wrong_password":
                _serve_wrong_password(conn)
            elif behaviour == "frozen":
                _serve_frozen(conn, stop)
            else:
                _serve_silence(conn, stop)
        except (ConnectionError, OSError, AssertionError):
            pass
        finally:
            conn.close()

    def loop():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        stop.set()
        thread.join(2)
        listener.close()


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port
