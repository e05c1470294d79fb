"""Downloads through Daphne itself: the stream's child writes the body into the client's socket (console/
request_bodies.py ResponseSocket), and the server takes the connection back after it, or closes it short."""

import hashlib
import os
import re
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.storage.test_transfer_slow_client import download_job, signed_in

pytestmark = [pytest.mark.system]

MiB = 1024 * 1024
SIZE = 64 * MiB


@pytest.fixture
def download_source(served_console, scratch_pool):
    """(base_url, signed-in session, content path, the volume's bytes): a raw volume of SIZE random bytes."""
    base_url, username, password = served_console
    name, pool, directory = scratch_pool
    data = os.urandom(SIZE)
    (directory / "disk.img").write_bytes(data)
    pool.refresh(0)
    http = signed_in(base_url, username, password)
    hosts = http.get(f"{base_url}/api/v1/hosts").json()["results"]
    host = next((h for h in hosts if h["uri"] == "qemu:///system"), None)
    if host is None:
        host = http.post(f"{base_url}/api/v1/hosts", json={"name": "libvirtd-written", "uri": "qemu:///system"}).json()
    return base_url, http, f"/api/v1/hosts/{host['id']}/pools/{name}/volumes/disk.img/content", data


def connect(base_url, receive_buffer=None):
    host, port = base_url.removeprefix("http://").split(":")
    conn = socket.socket()
    if receive_buffer:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)  # a slow link's small window
    conn.settimeout(60)
    conn.connect((host, int(port)))
    return conn


def get(conn, base_url, http, path, extra=""):
    conn.sendall((f"GET {path} HTTP/1.1\r\nHost: {base_url.removeprefix('http://')}\r\n"
                  f"Cookie: sessionid={http.cookies['sessionid']}\r\n{extra}\r\n").encode())


def read_answer(conn):
    """One HTTP answer with a Content-Length body, read off conn; (status line and headers, body)."""
    answer = bytearray()
    while b"\r\n\r\n" not in answer:
        answer += conn.recv(1 << 16)
    head, _, body = bytes(answer).partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
    body = bytearray(body)
    while len(body) < length:
        body += conn.recv(1 << 20)
    return head, bytes(body)


def holders_of_the_server_side(conn):
    """The command lines of the processes holding the server's end of conn (the server, and the stream's child
    while it writes the body)."""
    client_port = conn.getsockname()[1]
    server_port = conn.getpeername()[1]
    listing = subprocess.run(["ss", "-tnpH", f"( sport = :{server_port} and dport = :{client_port} )"],
                             capture_output=True, text=True, check=True).stdout
    return [Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            for pid in sorted(set(re.findall(r"pid=(\d+)", listing)))]


def wait_for_job(http, base_url, state):
    deadline = time.monotonic() + 60
    while True:
        job = download_job(http, base_url)
        if job is not None and job["state"] == state:
            return job
        assert time.monotonic() < deadline, f"the download's job is {job and job['state']}, not {state}"
        time.sleep(0.05)


def test_downloads_on_one_kept_alive_connection_each_end_where_their_body_ends(download_source):
    # The child writes each body into the socket; the server must then answer the connection's next request.
    base_url, http, path, data = download_source
    with connect(base_url) as conn:
        get(conn, base_url, http, path)
        head, body = read_answer(conn)
        assert head.startswith(b"HTTP/1.1 200") and hashlib.sha256(body).digest() == hashlib.sha256(data).digest()
        first, last = 5 * MiB + 3, 9 * MiB
        get(conn, base_url, http, path, f"Range: bytes={first}-{last}\r\n")
        head, body = read_answer(conn)
        assert head.startswith(b"HTTP/1.1 206") and body == data[first:last + 1]
        get(conn, base_url, http, "/api/v1/version")
        head, body = read_answer(conn)
        assert head.startswith(b"HTTP/1.1 200") and b"\"api\"" in body, head + body
    jobs = http.get(f"{base_url}/api/v1/jobs", params={"kind": "volume.download"}).json()["results"][:2]  # newest
    assert [(job["state"], job["progress"]["done"]) for job in jobs] == [
        ("succeeded", last - first + 1), ("succeeded", SIZE)]


def test_a_client_gone_midway_leaves_the_job_interrupted_and_the_server_serving(download_source):
    base_url, http, path, data = download_source
    with connect(base_url) as conn:
        get(conn, base_url, http, path)
        received = bytearray()
        while len(received) < 8 * MiB:
            received += conn.recv(1 << 20)
    body = len(received) - received.index(b"\r\n\r\n") - 4  # of what the client read, the head aside
    job = wait_for_job(http, base_url, "interrupted")
    # The job counts what the socket took: at least what the client read, less than the whole.
    assert body <= job["progress"]["done"] < SIZE and "Range: bytes=" in job["error"], (body, job)
    back = http.get(f"{base_url}{path}", headers={"Range": f"bytes={job['progress']['done']}-"})
    assert back.status_code == 206 and back.content == data[job["progress"]["done"]:]


def test_a_cancel_while_the_child_writes_ends_the_download_and_its_connection(download_source):
    base_url, http, path, _ = download_source
    with connect(base_url, receive_buffer=64 * 1024) as conn:
        get(conn, base_url, http, path)
        received = len(conn.recv(1 << 16))  # then the client stops reading: the child waits on the socket
        job = wait_for_job(http, base_url, "running")
        assert "domains.libvirt.stream_pump" in " ".join(holders_of_the_server_side(conn))
        assert http.post(f"{base_url}/api/v1/jobs/{job['id']}/cancel").status_code in (200, 202)
        wait_for_job(http, base_url, "cancelled")
        while chunk := conn.recv(1 << 20):  # what the socket held, then the end: the connection is closed
            received += len(chunk)
    assert received < SIZE
