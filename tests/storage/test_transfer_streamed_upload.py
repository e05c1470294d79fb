"""A whole file in one PUT through Daphne itself: its body goes into libvirt as it arrives, the server holding a
few MiB of it, and a body cut off midway goes on from where its job stands (console/request_bodies.py)."""

import hashlib
import os
import re
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.storage.test_transfer_slow_client import signed_in

pytestmark = [pytest.mark.system]

MiB = 1024 * 1024
SIZE = 160 * MiB
# What the server may hold of a streamed body beyond its resting size: what Daphne queued for the app
# (request_bodies.QUEUED_LIMIT), the app's two batches and a message (upload_app.IN_FLIGHT_LIMIT), Twisted's
# read, and the allocator's slack. Daphne buffering the body would hold all 160 MiB.
HELD_BOUND = 40 * MiB


def server_pid(base_url):
    port = base_url.rsplit(":", 1)[1]
    listing = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True).stdout
    return int(re.search(r"pid=(\d+)", listing).group(1))


class RssPeak:
    """The highest resident size of a process while sampled (VmHWM only ever grows over the served console's
    life, so its peak says nothing of one upload)."""

    def __init__(self, pid):
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self.base = self.sample()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def sample(self):
        status = Path(f"/proc/{self.pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) * 1024

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.sample())
            self._stop.wait(0.005)

    def stop(self):
        self._stop.set()
        self._thread.join()
        return self.peak - self.base


def random_file(tmp_path, size):
    path = tmp_path / "upload.img"
    with open(path, "wb") as f:
        for _ in range(size // MiB):
            f.write(os.urandom(MiB))
    return path


def sha256_of(path, first=0, length=None):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        f.seek(first)
        digest.update(f.read(length) if length is not None else f.read())
    return digest.hexdigest()


def put_raw(base_url, http, path, source, first, length, total, until=None):
    """PUT bytes first.. of source with its Content-Range over a socket of its own, sending as fast as the
    server reads; until: close the connection after that many bytes of the body. The answer's raw bytes."""
    address = base_url.removeprefix("http://")
    host, port = address.split(":")
    head = (f"PUT {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Length: {length}\r\nContent-Range: bytes {first}-{first + length - 1}/{total}\r\n"
            f"Cookie: sessionid={http.cookies['sessionid']}; csrftoken={http.cookies['csrftoken']}\r\n"
            f"X-CSRFToken: {http.cookies['csrftoken']}\r\nConnection: close\r\n\r\n")
    with socket.create_connection((host, int(port)), timeout=60) as conn, open(source, "rb") as f:
        conn.sendall(head.encode())
        f.seek(first)
        sent, stop = 0, until if until is not None else length
        while sent < stop:
            piece = f.read(min(MiB, stop - sent))
            conn.sendall(piece)
            sent += len(piece)
        if until is not None:
            return b""
        answer = b""
        while chunk := conn.recv(1 << 16):
            answer += chunk
    return answer


@pytest.fixture
def upload_target(served_console, scratch_pool, tmp_path):
    """(base_url, signed-in session, content path, file to upload): an empty raw volume of SIZE bytes."""
    base_url, username, password = served_console
    name, pool, _ = scratch_pool
    pool.createXML(f"<volume><name>disk.img</name><capacity unit='bytes'>{SIZE}</capacity>"
                   "<target><format type='raw'/></target></volume>", 0)
    http = signed_in(base_url, username, password)
    hosts = http.get(f"{base_url}/api/v1/hosts").json()["results"]
    host = next((h for h in hosts if h["uri"] == "qemu:///system"), None)
    if host is None:
        host = http.post(f"{base_url}/api/v1/hosts", json={"name": "libvirtd-streamed", "uri": "qemu:///system"}).json()
    path = f"/api/v1/hosts/{host['id']}/pools/{name}/volumes/disk.img/content"
    return base_url, http, path, random_file(tmp_path, SIZE)


def test_a_whole_file_goes_in_one_put_with_the_server_holding_a_few_mib(upload_target):
    base_url, http, path, source = upload_target
    rss = RssPeak(server_pid(base_url))
    answer = put_raw(base_url, http, path, source, 0, SIZE, SIZE)
    held = rss.stop()
    assert answer.startswith(b"HTTP/1.1 200"), answer[:400]
    assert sha256_of(source).encode() in answer
    assert held < HELD_BOUND, f"the server grew by {held / MiB:.0f} MiB during a {SIZE / MiB:.0f} MiB upload"
    back = http.get(f"{base_url}{path}")
    assert hashlib.sha256(back.content).hexdigest() == sha256_of(source)


def job_of(http, base_url, job_id):
    return http.get(f"{base_url}/api/v1/jobs/{job_id}").json()


def test_a_body_cut_off_midway_goes_on_from_where_its_job_stands(upload_target):
    base_url, http, path, source = upload_target
    put_raw(base_url, http, path, source, 0, SIZE, SIZE, until=96 * MiB + 12345)
    jobs = http.get(f"{base_url}/api/v1/jobs", params={"kind": "volume.upload"}).json()["results"]
    job = next(j for j in jobs if j["state"] == "running")  # this upload's: the others ended
    # The server notices the closed connection once it has passed on what arrived; until then a part is
    # refused as still being received. Then a part from anywhere else is told where the upload stands.
    deadline = time.monotonic() + 60
    while True:
        probe = http.put(f"{base_url}{path}", data=b"x", headers={
            "Content-Type": "application/octet-stream", "Content-Range": f"bytes {SIZE - 1}-{SIZE - 1}/{SIZE}"})
        if probe.json().get("code") != "part_in_progress" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert probe.status_code == 409 and probe.json()["code"] == "resume_offset", probe.text
    offset = probe.json()["fields"]["offset"]
    assert 0 < offset <= 96 * MiB + 12345 and job_of(http, base_url, job["id"])["progress"]["done"] == offset

    answer = put_raw(base_url, http, path, source, offset, SIZE - offset, SIZE)
    assert answer.startswith(b"HTTP/1.1 200"), answer[:400]
    assert sha256_of(source).encode() in answer
    assert job_of(http, base_url, job["id"])["state"] == "succeeded"
    with requests.Session() as fresh:
        fresh.cookies.update(http.cookies)
        back = fresh.get(f"{base_url}{path}")
    assert hashlib.sha256(back.content).hexdigest() == sha256_of(source)


def read_answer(conn):
    """One HTTP answer with a Content-Length body, read off conn; (status line and headers, body)."""
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += conn.recv(1 << 16)
    head, _, body = answer.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
    while len(body) < length:
        body += conn.recv(1 << 16)
    return head, body


def test_parts_on_one_kept_alive_connection_each_end_where_their_body_ends(upload_target):
    # The pump reads each body off the socket itself; the server must then take the connection's next bytes
    # as the next request, not as more body.
    base_url, http, path, source = upload_target
    address = base_url.removeprefix("http://")
    host, port = address.split(":")
    cut = 100 * MiB + 7
    with socket.create_connection((host, int(port)), timeout=60) as conn, open(source, "rb") as f:
        for first, length in ((0, cut), (cut, SIZE - cut)):
            conn.sendall((f"PUT {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/octet-stream\r\n"
                          f"Content-Length: {length}\r\nContent-Range: bytes {first}-{first + length - 1}/{SIZE}\r\n"
                          f"Cookie: sessionid={http.cookies['sessionid']}; csrftoken={http.cookies['csrftoken']}\r\n"
                          f"X-CSRFToken: {http.cookies['csrftoken']}\r\n\r\n").encode())
            f.seek(first)
            left = length
            while left:
                piece = f.read(min(MiB, left))
                conn.sendall(piece)
                left -= len(piece)
            head, body = read_answer(conn)
            assert head.startswith(b"HTTP/1.1 202" if first == 0 else b"HTTP/1.1 200"), head + body[:300]
        assert sha256_of(source).encode() in body


def test_a_cancel_while_the_pump_reads_the_body_ends_the_upload_and_its_connection(upload_target):
    base_url, http, path, source = upload_target
    address = base_url.removeprefix("http://")
    host, port = address.split(":")
    with socket.create_connection((host, int(port)), timeout=60) as conn, open(source, "rb") as f:
        conn.sendall((f"PUT {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/octet-stream\r\n"
                      f"Content-Length: {SIZE}\r\n"
                      f"Cookie: sessionid={http.cookies['sessionid']}; csrftoken={http.cookies['csrftoken']}\r\n"
                      f"X-CSRFToken: {http.cookies['csrftoken']}\r\n\r\n").encode())
        for _ in range(32):
            conn.sendall(f.read(MiB))
        # The client stops sending; the job is running (the pump waits for more of the body).
        deadline = time.monotonic() + 60
        while True:
            jobs = http.get(f"{base_url}/api/v1/jobs", params={"kind": "volume.upload"}).json()["results"]
            job = next((j for j in jobs if j["state"] == "running"), None)
            if job is not None or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert job is not None
        assert http.post(f"{base_url}/api/v1/jobs/{job['id']}/cancel").status_code in (200, 202)
        answer = b""
        while chunk := conn.recv(1 << 16):  # the server answers, then closes: the body's end is not known
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 409") and b"cancelled" in answer, answer[:400]
    assert job_of(http, base_url, job["id"])["state"] == "cancelled"
