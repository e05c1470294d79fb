"""A download to a client that reads slowly, through Daphne itself: the server reads ahead of the client by a
few buffers at most, instead of holding the rest of the volume in memory (console/backpressure.py)."""

import os
import socket

import pytest
import requests

pytestmark = [pytest.mark.system]

MiB = 1024 * 1024
SIZE = 128 * MiB
# What may sit between libvirt and a client that stopped reading: the kernel's socket buffers on both
# ends (a few MiB each on loopback), Twisted's last write and the app's two read-ahead batches.
READ_AHEAD_BOUND = 32 * MiB


def signed_in(base_url, username, password):
    http = requests.Session()
    http.get(f"{base_url}/login/")
    http.post(f"{base_url}/login/", data={"username": username, "password": password,
                                          "csrfmiddlewaretoken": http.cookies["csrftoken"]},
              headers={"Referer": f"{base_url}/login/"})
    assert "sessionid" in http.cookies
    http.headers.update({"X-CSRFToken": http.cookies["csrftoken"], "Referer": base_url})
    return http


def download_job(http, base_url):
    jobs = http.get(f"{base_url}/api/v1/jobs", params={"kind": "volume.download"}).json()["results"]
    return jobs[0] if jobs else None


def test_the_server_reads_the_volume_only_as_fast_as_a_slow_client_takes_it(served_console, scratch_pool):
    base_url, username, password = served_console
    name, pool, directory = scratch_pool
    with open(directory / "big.img", "wb") as volume:  # incompressible bytes, no holes: all of it is data
        for _ in range(SIZE // MiB):
            volume.write(os.urandom(MiB))
    pool.refresh(0)
    http = signed_in(base_url, username, password)
    host = http.post(f"{base_url}/api/v1/hosts", json={"name": "libvirtd-slow", "uri": "qemu:///system"}).json()
    path = f"/api/v1/hosts/{host['id']}/pools/{name}/volumes/big.img/content"

    address = base_url.removeprefix("http://")
    with socket.socket() as client:
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)  # a small window, as a slow link has
        client.connect((address.split(":")[0], int(address.split(":")[1])))
        client.sendall(f"GET {path} HTTP/1.1\r\nHost: {address}\r\n"
                       f"Cookie: sessionid={http.cookies['sessionid']}\r\nConnection: close\r\n\r\n".encode())
        received, worst_lead = 0, 0
        while True:
            # The client takes 256 KiB, then looks how far the server has read: each look is an API call,
            # far slower than libvirt, so a server that did not wait for the client would race to the end.
            chunk = client.recv(256 * 1024)
            if not chunk:
                break
            received += len(chunk)
            job = download_job(http, base_url)
            if job is not None and job["state"] == "running":
                worst_lead = max(worst_lead, job["progress"]["done"] - received)
                assert worst_lead < READ_AHEAD_BOUND, f"read {job['progress']['done']} with {received} delivered"
    job = download_job(http, base_url)
    assert job["state"] == "succeeded"
    assert received > SIZE  # the whole body arrived, headers besides
