"""Each transfer's libvirt side runs in a child process (domains/libvirt/stream_pump.py): a download whose client
stops reading stops the child, not the server's memory, and a child that dies fails its job, saying so."""

import asyncio
import hashlib
import os
import signal
import socket
import time
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async

from domains.hosts.models import Host
from domains.jobs.models import FAILED, Job
from domains.libvirt import streams
from domains.libvirt.adapter import VirtError
from domains.storage.transfer import uploads

from .transfer_support import MiB, call, content_path, pattern, pattern_range, put_part

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]

SIZE = 96 * MiB
# What a waiting child may hold: Python, libvirt and its connection (about 30 MiB here), a packet, a pipe's
# worth; a client library queueing the download would hold most of the volume.
CHILD_RSS_BOUND = 48 * MiB
# What the server (this process) may gain while its client waits: two read-ahead batches of 1 MiB and the
# one in the client's hands, with room for the allocator; far below the volume's size.
SERVER_GROWTH_BOUND = 32 * MiB


def pumps():
    """The PIDs of this process's stream pumps (children of any of its threads)."""
    found = []
    for task in Path("/proc/self/task").iterdir():
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue  # the thread ended meanwhile
        for pid in children:
            try:
                if b"domains.libvirt.stream_pump" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    found.append(int(pid))
            except OSError:
                continue  # the child ended meanwhile
    return found


def status_bytes(pid, field):
    """A /proc/<pid>/status field: kB fields in bytes, counts as they are."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            value = line.split()
            return int(value[1]) * (1024 if value[2:] == ["kB"] else 1)
    raise LookupError(field)


def blocked_writing_to_server(pid):
    """The child sits in a system call on its stdout (fd 1, the pipe to the server): the pipe is full."""
    fields = Path(f"/proc/{pid}/syscall").read_text().split()
    return len(fields) > 1 and fields[0] not in ("running", "-1") and int(fields[1], 16) == 1


async def until(condition, what, timeout=60):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, f"never happened: {what}"
        await asyncio.sleep(0.01)
    return result


@pytest.fixture
def full_volume(transfer_pool):
    """(content path, SHA-256) of a SIZE-byte volume all of whose bytes are data (no holes)."""
    host, pool, directory = transfer_pool
    with open(directory / "full.img", "wb") as volume:
        for chunk in pattern(SIZE):
            volume.write(chunk)
    pool.refresh(0)
    return content_path(host, pool, "full.img"), hashlib.sha256(b"".join(pattern(SIZE))).hexdigest()


async def test_a_download_whose_client_stops_reading_holds_the_child_not_the_servers_memory(full_volume,
                                                                                          owner_headers):
    path, sha256 = full_volume
    assert (await call("HEAD", path, owner_headers)).status == 200  # the server's code loaded before measuring
    server_before = status_bytes(os.getpid(), "VmRSS")
    held = {}

    async def stop_reading_once(answer):
        if held:
            return
        pid = (await until(pumps, "a stream pump started"))[0]
        await until(lambda: blocked_writing_to_server(pid), "the pump waits for the server to read its pipe")
        held.update(received=answer.size, threads=status_bytes(pid, "Threads"), child=status_bytes(pid, "VmRSS"),
                    server_growth=status_bytes(os.getpid(), "VmRSS") - server_before)

    answer = await call("GET", path, owner_headers, on_body=stop_reading_once)
    assert answer.status == 200 and answer.size == SIZE and answer.digest.hexdigest() == sha256
    assert held["received"] < SIZE  # the client stopped before the end, and the pump stopped behind it
    assert held["threads"] == 1  # so nothing in it read libvirt's socket while it waited: libvirtd waited too
    assert held["child"] < CHILD_RSS_BOUND, held
    assert held["server_growth"] < SERVER_GROWTH_BOUND, held
    assert not pumps()  # the finished pump was waited for


async def test_a_download_whose_pump_is_killed_fails_its_job_saying_so(full_volume, owner_headers):
    path, _ = full_volume
    killed = []

    async def kill_the_pump_once(answer):
        if not killed:
            killed.append((await until(pumps, "a stream pump started"))[0])
            os.kill(killed[0], signal.SIGKILL)

    answer = await call("GET", path, owner_headers, on_body=kill_the_pump_once)
    assert answer.status == 200 and answer.size < SIZE  # the body stops short: the client sees it incomplete
    job = await sync_to_async(lambda: Job.objects.get(kind="volume.download"))()
    assert job.state == FAILED
    assert "helper process ended unexpectedly (killed by signal 9)" in job.error
    assert not pumps()


async def test_an_upload_whose_pump_is_killed_fails_its_job_and_the_next_upload_starts_afresh(volume_to_upload,
                                                                                             owner_headers):
    path = volume_to_upload("killed.img", 16 * MiB)

    def body_killing_the_pump():
        chunks = pattern_range(0, 8 * MiB)
        yield next(chunks)
        os.kill(pumps()[0], signal.SIGKILL)  # asked for the second piece: the upload is open, its pump running
        yield from chunks

    answer = await call("PUT", path, {**owner_headers, "Content-Length": 8 * MiB,
                                      "Content-Range": f"bytes 0-{8 * MiB - 1}/{16 * MiB}"}, body_killing_the_pump())
    assert answer.status == 502
    assert "helper process ended unexpectedly (killed by signal 9)" in answer.json()["message"]
    job = await sync_to_async(lambda: Job.objects.get(kind="volume.upload"))()
    assert job.state == FAILED and "killed by signal 9" in job.error
    assert not uploads._open and not pumps()  # nothing left open
    again = await put_part(path, owner_headers, 0, 8 * MiB, 16 * MiB)
    assert again.status == 202 and again.json()["received"] == 8 * MiB



@pytest.fixture
def silence_limit(monkeypatch):
    """A silence limit of 2 s instead of minutes: the tests make libvirt silent for good, then wait it out."""
    monkeypatch.setattr(streams, "SILENCE_LIMIT", 2.0)
    return 2.0


@pytest.fixture
def silent_daemon():
    """A TCP port on loopback that accepts connections and never answers: a libvirtd that took the call and hung."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    yield listener.getsockname()[1]
    listener.close()


def test_a_libvirtd_that_never_answers_fails_the_transfer_at_the_silence_limit(full_volume, transfer_pool,
                                                                             silent_daemon, silence_limit):
    _, pool, _ = transfer_pool
    hung = Host(name="hung", uri=f"qemu+tcp://127.0.0.1:{silent_daemon}/system")

    started = time.monotonic()
    with pytest.raises(VirtError) as refused:
        streams.VolumeDownload(hung, pool.storageVolLookupByName("full.img"), 0, 0)

    assert "libvirt on host 'hung' answered nothing for 2 s while opening the stream" in refused.value.message
    assert time.monotonic() - started < 30  # a pump killed at the limit, not one waiting for its 30 s grace
    assert pumps() == []


def test_a_libvirtd_stopped_in_the_middle_of_a_download_fails_it_at_the_silence_limit(full_volume, transfer_pool,
                                                                                    silence_limit):
    host, pool, _ = transfer_pool
    daemon = int(Path("/run/libvirtd.pid").read_text())
    download = streams.VolumeDownload(host, pool.storageVolLookupByName("full.img"), 0, 0)
    received = len(download.read())
    os.kill(daemon, signal.SIGSTOP)
    try:
        with pytest.raises(VirtError) as stopped:
            while (data := download.read()) != b"":  # what libvirtd sent before it stopped, then nothing
                received += len(data)
    finally:
        os.kill(daemon, signal.SIGCONT)

    assert "answered nothing for 2 s while moving the volume's bytes" in stopped.value.message
    assert 0 < received < SIZE
    assert pumps() == []
