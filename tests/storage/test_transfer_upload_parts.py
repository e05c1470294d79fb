"""Parts of an upload that must not go in: out of order, too large, unannounced, someone else's, a foreign Host."""

import pytest
from asgiref.sync import sync_to_async

from domains.access.grants import do_grant
from domains.access.models import Role
from domains.jobs.actions import do_cancel_job
from domains.jobs.models import CANCELLED, Job
from domains.storage.lookups import pool_row
from domains.storage.transfer import upload_app

from .transfer_support import (
    MiB,
    auth,
    call,
    pattern,
    put_part,
    put_parts,
    sha256_of,
    wait_for_job,
)

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]


async def test_a_part_that_does_not_follow_answers_409_with_where_the_upload_stands(volume_to_upload, owner_headers):
    size = 24 * MiB
    path = volume_to_upload("order.img", size)
    assert (await put_part(path, owner_headers, 0, 8 * MiB, size)).status == 202

    skipping = await put_part(path, owner_headers, 16 * MiB, 8 * MiB, size)
    overlapping = await put_part(path, owner_headers, 4 * MiB, 8 * MiB, size)
    other_total = await put_part(path, owner_headers, 8 * MiB, 8 * MiB, size - MiB)
    from_the_start = await call("PUT", path, {**owner_headers, "Content-Length": MiB}, pattern(MiB))
    for refused in (skipping, overlapping, other_total, from_the_start):
        assert refused.status == 409 and refused.json()["fields"] == {"offset": 8 * MiB}, refused.body
    assert "bytes 8388608-M/25165824" in skipping.json()["message"]

    answers = await put_parts(path, owner_headers, size, first=8 * MiB)
    assert answers[-1].status == 200 and answers[-1].json()["sha256"] == sha256_of(pattern(size))


async def test_a_whole_file_goes_in_one_put_and_a_part_may_be_any_size(volume_to_upload, owner_headers):
    whole_path = volume_to_upload("whole.img", 64 * MiB)
    # In 1 MiB messages, the most a server hands the app at once.
    whole = await call("PUT", whole_path, {**owner_headers, "Content-Length": 64 * MiB}, pattern(64 * MiB, chunk=MiB))
    assert whole.status == 200 and whole.json()["sha256"] == sha256_of(pattern(64 * MiB, chunk=MiB))
    assert 0 < whole.json()["peak_buffered"] <= upload_app.IN_FLIGHT_LIMIT  # held a few MiB of the 64

    path = volume_to_upload("parts.img", 64 * MiB)
    first = await put_part(path, owner_headers, 0, 40 * MiB, 64 * MiB)
    assert first.status == 202 and first.json()["received"] == 40 * MiB
    last = await put_part(path, owner_headers, 40 * MiB, 24 * MiB, 64 * MiB)
    assert last.status == 200 and last.json()["sha256"] == sha256_of(pattern(64 * MiB))


async def test_a_body_without_a_length_answers_411_saying_how_to_send_it(volume_to_upload, owner_headers):
    path = volume_to_upload("unsized.img", 8 * MiB)
    without_length = await call("PUT", path, owner_headers, pattern(MiB))
    assert without_length.status == 411 and "Content-Length" in without_length.json()["message"]
    assert "Content-Range" in without_length.json()["message"] and "docs/api.md" in without_length.json()["message"]
    assert not await sync_to_async(Job.objects.exists)()


async def test_another_users_part_is_refused_and_the_upload_goes_on(
        transfer_pool, owner, teammate, volume_to_upload, owner_headers):
    host, pool, _ = transfer_pool
    size = 16 * MiB
    path = volume_to_upload("shared.img", size)

    def grant_user():
        do_grant(owner, Role.objects.get(name="Pool user"), to_user=teammate, pool=pool_row(host, pool))
        return auth(owner), auth(teammate)

    owner_headers, teammate_headers = await sync_to_async(grant_user)()
    assert (await put_part(path, owner_headers, 0, 8 * MiB, size)).status == 202
    # The teammate may write the volume, but not into the owner's upload: not its next part, nor a new start.
    for first in (8 * MiB, 0):
        refused = await put_part(path, teammate_headers, first, 8 * MiB, size, seed=2)
        assert refused.status == 409 and refused.json()["code"] == "upload_running"
        assert "fields" not in refused.json()  # where the owner's upload stands is not the teammate's to know
    last = await put_part(path, owner_headers, 8 * MiB, 8 * MiB, size)
    assert last.status == 200 and last.json()["sha256"] == sha256_of(pattern(size))


async def test_a_cancelled_upload_refuses_its_next_part(owner, volume_to_upload, owner_headers):
    size = 16 * MiB
    path = volume_to_upload("cancelled.img", size)
    first = await put_part(path, owner_headers, 0, 8 * MiB, size)
    assert first.status == 202
    # Between parts the job says exactly where the upload stands (a client resumes from it).
    assert (await wait_for_job(lambda job: True)).done == 8 * MiB

    await sync_to_async(lambda: do_cancel_job(owner, Job.objects.get(pk=first.json()["job"]["id"])))()
    job = await wait_for_job(lambda job: job.state == CANCELLED)
    assert job.done == 8 * MiB
    refused = await put_part(path, owner_headers, 8 * MiB, 8 * MiB, size)
    assert refused.status == 409 and refused.json()["fields"] == {"offset": 0}  # cancelled: nothing to resume


async def test_a_host_header_the_console_does_not_answer_to_is_refused(transfer_pool, volume_to_upload, owner_headers):
    host, pool, _ = transfer_pool
    path = volume_to_upload("host.img", MiB)
    answer = await call("PUT", path,
                        {**owner_headers, "Content-Length": MiB, "Host": "attacker.example"}, pattern(MiB))
    assert answer.status == 400 and answer.json()["code"] == "bad_host"
    assert "attacker.example" in answer.json()["message"]
    assert not await sync_to_async(Job.objects.exists)()


async def test_a_pool_is_not_stopped_or_deleted_under_a_running_upload(transfer_pool, volume_to_upload, owner_headers):
    host, pool, _ = transfer_pool
    size = 16 * MiB
    path = volume_to_upload("busy.img", size)
    assert (await put_part(path, owner_headers, 0, 8 * MiB, size)).status == 202  # the upload stays open
    pool_path = f"/api/v1/hosts/{host.pk}/pools/{pool.name()}"
    stop = b'{"action": "stop"}'
    stopped = await call("POST", f"{pool_path}/actions", {**owner_headers, "Content-Type": "application/json",
                                                           "Content-Length": len(stop)}, [stop])
    deleted = await call("DELETE", pool_path, owner_headers)
    job = await wait_for_job(lambda job: job.state == "running")
    for refused in (stopped, deleted):
        assert refused.status == 409 and refused.json()["code"] == "pool_busy", refused.body
        assert refused.json()["fields"] == {"jobs": [job.pk]}
        assert f"volume.upload {pool.name()}/busy.img (job {job.pk})" in refused.json()["message"]
    assert pool.isActive()

    last = await put_part(path, owner_headers, 8 * MiB, 8 * MiB, size)
    assert last.status == 200 and last.json()["sha256"] == sha256_of(pattern(size))
    assert (await call("DELETE", pool_path, owner_headers)).status == 204
