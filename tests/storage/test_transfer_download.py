"""GET/HEAD .../volumes/{volume}/content on the system libvirtd: ranges, holes, a client gone midway."""

import hashlib

import pytest
from asgiref.sync import sync_to_async

from domains.jobs.models import INTERRUPTED, SUCCEEDED, Job

from .transfer_support import (
    MiB,
    call,
    content_path,
    make_volume,
    pattern,
    put_parts,
    token_for,
)

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]


async def uploaded(transfer_pool, user, name, size):
    host, pool, _ = transfer_pool
    make_volume(pool, name, size)
    headers = {"Authorization": f"Token {await sync_to_async(token_for)(user)}"}
    answers = await put_parts(content_path(host, pool, name), headers, size)
    assert answers[-1].status == 200
    return content_path(host, pool, name), headers, b"".join(pattern(size))


async def test_it_answers_a_range_with_206_and_that_part_only(transfer_pool, owner):
    path, headers, data = await uploaded(transfer_pool, owner, "ranged.img", 4 * MiB)
    part = await call("GET", path, {**headers, "Range": f"bytes={MiB + 5}-{2 * MiB}"})
    assert part.status == 206
    assert part.headers["content-range"] == f"bytes {MiB + 5}-{2 * MiB}/{4 * MiB}"
    assert bytes(part.body) == data[MiB + 5:2 * MiB + 1]
    tail = await call("GET", path, {**headers, "Range": "bytes=-100"})
    assert bytes(tail.body) == data[-100:]


async def test_it_answers_416_for_a_range_past_the_end(transfer_pool, owner):
    path, headers, _ = await uploaded(transfer_pool, owner, "short.img", MiB)
    answer = await call("GET", path, {**headers, "Range": f"bytes={MiB}-"})
    assert answer.status == 416
    assert answer.headers["content-range"] == f"bytes */{MiB}"
    assert answer.json()["code"] == "range_not_satisfiable"


async def test_head_tells_the_size_and_name_without_a_job(transfer_pool, owner):
    path, headers, _ = await uploaded(transfer_pool, owner, "headed.img", MiB)
    answer = await call("HEAD", path, headers)
    assert answer.status == 200 and answer.size == 0
    assert answer.headers["content-length"] == str(MiB)
    assert answer.headers["content-disposition"] == 'attachment; filename="headed.img"'
    assert not await sync_to_async(Job.objects.filter(kind="volume.download").exists)()


async def test_holes_of_a_sparse_volume_arrive_as_zeros(transfer_pool, owner):
    host, pool, directory = transfer_pool
    make_volume(pool, "sparse.img", 64 * MiB)  # nothing allocated: all one hole
    headers = {"Authorization": f"Token {await sync_to_async(token_for)(owner)}"}
    answer = await call("GET", content_path(host, pool, "sparse.img"), headers)
    assert answer.status == 200 and answer.size == 64 * MiB
    assert answer.digest.hexdigest() == hashlib.sha256(bytes(64 * MiB)).hexdigest()
    job = await sync_to_async(lambda: Job.objects.get(kind="volume.download"))()
    assert (job.state, job.done) == (SUCCEEDED, 64 * MiB)


async def test_a_sparse_upload_into_an_empty_volume_keeps_its_zeros_as_holes(transfer_pool, owner):
    host, pool, directory = transfer_pool
    size = 32 * MiB
    make_volume(pool, "image.iso", size)
    body = b"\x01" * MiB + bytes(size - 2 * MiB) + b"\x02" * MiB
    headers = {"Authorization": f"Token {await sync_to_async(token_for)(owner)}"}
    part = 8 * MiB
    for first in range(0, size, part):  # in parts: the holes go on from one part to the next
        put = await call("PUT", content_path(host, pool, "image.iso"),
                         {**headers, "Content-Length": part,
                          "Content-Range": f"bytes {first}-{first + part - 1}/{size}"},
                         [body[i:i + MiB] for i in range(first, first + part, MiB)])
    assert put.status == 200 and put.json()["sha256"] == hashlib.sha256(body).hexdigest()
    stat = (directory / "image.iso").stat()
    assert stat.st_size == size and stat.st_blocks * 512 <= 4 * MiB
    back = await call("GET", content_path(host, pool, "image.iso"), headers)
    assert back.digest.hexdigest() == put.json()["sha256"]


async def test_a_client_gone_midway_leaves_the_download_job_interrupted(transfer_pool, owner):
    path, headers, _ = await uploaded(transfer_pool, owner, "dropped.img", 16 * MiB)
    await call("GET", path, headers, drop_after=3 * MiB)
    job = await sync_to_async(lambda: Job.objects.get(kind="volume.download"))()
    assert job.state == INTERRUPTED and 3 * MiB <= job.done < 16 * MiB  # what was handed over, not what was read ahead
    assert "Range: bytes=" in job.error
