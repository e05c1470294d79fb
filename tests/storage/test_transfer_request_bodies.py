"""Daphne (the server we ship) hands a volume upload's body to the application as it arrives, and refuses any
other body larger than BODY_LIMIT before it reads it, whoever sends it (console/request_bodies.py)."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from console.request_bodies import BODY_LIMIT
from tests.conftest import REPO
from tests.free_ports import free_ports

CONTENT = "/api/v1/hosts/1/pools/default/volumes/disk.img/content"
HOSTS = "/api/v1/hosts"


@pytest.fixture(scope="module")
def daphne(tmp_path_factory):
    """(port, pid) of Daphne serving console.asgi on a free port (nothing here reaches the database)."""
    var = tmp_path_factory.mktemp("var")
    port = free_ports()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "console.settings", "VIRTCONSOLE_VAR_DIR": str(var)}
    env.pop("DATABASE_URL", None)
    server = subprocess.Popen([sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                               "console.asgi:application"], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert server.poll() is None and time.monotonic() < deadline, "Daphne did not start"
            time.sleep(0.1)
    yield port, server.pid
    server.terminate()
    server.wait(timeout=30)


def exchange(port, head, body=b""):
    """Send head (and body, as far as the server reads it); (status, headers text, JSON body or None)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(head)
        try:
            for start in range(0, len(body), 1 << 16):
                conn.sendall(body[start:start + (1 << 16)])
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused and closed before all of it went: the answer is already waiting
        answer = b""
        try:
            while chunk := conn.recv(1 << 16):
                answer += chunk
        except ConnectionResetError:
            pass
    headers, _, payload = answer.partition(b"\r\n\r\n")
    status = int(headers.split(b" ", 2)[1])
    return status, headers.decode("latin-1"), json.loads(payload) if payload.startswith(b"{") else None


def rss_peak_kib(pid):
    return int(next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                    if line.startswith("VmHWM:")).split()[1])


def test_a_body_announced_larger_than_the_limit_is_refused_before_it_is_read(daphne):
    port, _ = daphne
    head = (f"POST {HOSTS} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {1 << 30}\r\n"
            "Expect: 100-continue\r\n\r\n").encode()
    status, headers, body = exchange(port, head)  # nothing of the 1 GiB is ever sent
    assert status == 413 and "100 Continue" not in headers
    assert body["code"] == "part_too_large" and body["fields"] == {"part_limit": BODY_LIMIT, "size": 1 << 30}
    assert "volume upload" in body["message"]


def test_a_chunked_body_is_refused_once_it_passes_the_limit_and_the_server_stays_small(daphne):
    port, pid = daphne
    before = rss_peak_kib(pid)
    piece = os.urandom(1 << 20)
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for _ in range(BODY_LIMIT // len(piece) + 4))
    # An upload without a Content-Length is not streamed: it is bounded like any other body.
    head = f"PUT {CONTENT} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
    status, _, body = exchange(port, head, chunks)
    assert status == 413 and body["code"] == "part_too_large" and "size" not in body["fields"]
    assert rss_peak_kib(pid) - before < BODY_LIMIT // 1024  # the body was never held


def test_a_small_body_goes_on_to_the_application(daphne):
    port, _ = daphne
    status, _, _ = exchange(port, f"POST {HOSTS} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n"
                                  "Connection: close\r\n\r\n".encode(), b"hello")
    assert status != 413


def read_answer(conn):
    """One whole HTTP answer with a Content-Length body from conn: (status, JSON body)."""
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += conn.recv(1 << 16)
    head, _, body = answer.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
    while len(body) < length:
        body += conn.recv(1 << 16)
    return int(head.split(b" ", 2)[1]), json.loads(body)


def test_an_upload_body_reaches_the_application_before_it_is_sent_and_a_refusal_keeps_the_connection(daphne):
    port, pid = daphne
    before = rss_peak_kib(pid)
    size = 64 << 20
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(f"PUT {CONTENT} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {size}\r\n\r\n".encode())
        # Nobody signed in: the application refuses while not one byte of the body was sent (Daphne would
        # otherwise wait for all of it before calling the application).
        status, body = read_answer(conn)
        assert status in (401, 403) and body["code"] in ("not_authenticated", "authentication_failed")
        piece = os.urandom(1 << 20)
        for _ in range(size // len(piece)):
            conn.sendall(piece)  # read and dropped by the server, so the connection's next request is whole
        conn.sendall(f"POST {HOSTS} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{{}}".encode())
        status, _ = read_answer(conn)
        assert status in (401, 403)
    assert rss_peak_kib(pid) - before < 16 << 10  # KiB: the 64 MiB body was never held
