"""PUT .../volumes/{volume}/content in parts on the system libvirtd: round trip, resume, refusals, memory bound."""

import pytest
from asgiref.sync import sync_to_async

from domains.access.grants import do_grant
from domains.access.models import Role
from domains.jobs.models import INTERRUPTED, SUCCEEDED, Job
from domains.libvirt.storage import find_volume
from domains.storage.lookups import pool_row
from domains.storage.transfer import upload_app

from .transfer_support import (
    MiB,
    auth,
    call,
    content_path,
    pattern,
    put_part,
    put_parts,
    sha256_of,
    wait_for_job,
)

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]


async def test_a_256_mib_upload_in_parts_and_its_download_round_trip_their_sha256(volume_to_upload, owner_headers):
    size = 256 * MiB
    path = volume_to_upload("disk.img", size)

    part = 8 * MiB  # as the browser sends them (static/js/storage/iso_upload.js)
    answers = await put_parts(path, owner_headers, size, part=part)
    assert [a.status for a in answers] == [202] * (size // part - 1) + [200], answers[-1].body
    assert answers[0].json()["received"] == part and answers[0].json()["total"] == size
    assert answers[0].json()["job"]["state"] == "running"
    assert len({a.json()["job"]["id"] for a in answers}) == 1  # one job, one stream, for all the parts
    put = answers[-1].json()
    expected = sha256_of(pattern(size))
    assert put["sha256"] == expected
    assert put["job"]["state"] == SUCCEEDED and put["job"]["progress"]["done"] == size
    # The app held at most two batches and a message of any part.
    assert 0 < put["peak_buffered"] <= upload_app.IN_FLIGHT_LIMIT

    got = await call("GET", path, owner_headers)
    assert got.status == 200 and got.headers["content-length"] == str(size)
    assert got.digest.hexdigest() == expected
    job = await sync_to_async(lambda: Job.objects.filter(kind="volume.download").get())()
    assert (job.state, job.done, job.total) == (SUCCEEDED, size, size)


async def test_it_keeps_the_bytes_in_flight_under_its_bound_whatever_the_message_size(volume_to_upload, owner_headers):
    size = 32 * MiB
    path = volume_to_upload("big-messages.img", size)
    # 1 MiB messages (the most a server hands an app at once) arriving as fast as they are asked for.
    answers = await put_parts(path, owner_headers, size, piece=upload_app.MESSAGE_LIMIT)
    assert answers[-1].status == 200
    assert 0 < answers[-1].json()["peak_buffered"] <= upload_app.IN_FLIGHT_LIMIT


async def test_a_part_dropped_midway_continues_from_where_the_job_says(volume_to_upload, owner_headers):
    size = 32 * MiB
    path = volume_to_upload("cut.img", size)

    assert (await put_part(path, owner_headers, 0, 8 * MiB, size)).status == 202
    dropped = await put_part(path, owner_headers, 8 * MiB, 8 * MiB, size, disconnect_after=5 * MiB)
    assert dropped.status is None  # nobody left to answer
    job = await sync_to_async(lambda: Job.objects.get(kind="volume.upload"))()
    assert job.state == "running" and job.done == 13 * MiB  # still open, and the job says where it stands

    ahead = await put_part(path, owner_headers, 16 * MiB, 8 * MiB, size)
    assert ahead.status == 409 and ahead.json()["fields"] == {"offset": 13 * MiB}
    answers = await put_parts(path, owner_headers, size, first=job.done)
    assert answers[-1].status == 200, answers[-1].body
    assert answers[-1].json()["sha256"] == sha256_of(pattern(size))
    whole = await call("GET", path, owner_headers)
    assert whole.digest.hexdigest() == answers[-1].json()["sha256"]


async def test_an_upload_left_idle_is_interrupted_and_resumes_from_where_it_stood(
        settings, volume_to_upload, owner_headers):
    settings.UPLOAD_IDLE_SECONDS = 1
    size = 24 * MiB
    path = volume_to_upload("idle.img", size)

    assert (await put_part(path, owner_headers, 0, 8 * MiB, size)).status == 202
    job = await wait_for_job(lambda job: job.state == INTERRUPTED)
    assert job.done == 8 * MiB and f"from byte {8 * MiB}" in job.error

    too_far = await put_part(path, owner_headers, 12 * MiB, 4 * MiB, size)
    assert too_far.status == 409 and too_far.json()["fields"] == {"offset": 8 * MiB}
    answers = await put_parts(path, owner_headers, size, first=8 * MiB)
    assert answers[-1].status == 200, answers[-1].body
    assert answers[-1].json()["sha256"] == sha256_of(pattern(size))
    assert answers[-1].json()["resumed_at"] == 8 * MiB
    whole = await call("GET", path, owner_headers)
    assert whole.digest.hexdigest() == answers[-1].json()["sha256"]


async def test_it_refuses_an_upload_larger_than_the_volume_and_writes_nothing(
        transfer_pool, volume_to_upload, owner_headers):
    _, _, directory = transfer_pool
    path = volume_to_upload("small.img", MiB)
    answer = await call("PUT", path, {**owner_headers, "Content-Length": 2 * MiB}, pattern(2 * MiB))
    assert answer.status == 413
    assert answer.json()["fields"] == {"size": 2 * MiB, "capacity": MiB}
    assert "grow the volume" in answer.json()["message"]
    assert (directory / "small.img").stat().st_blocks == 0  # not one byte written
    assert not await sync_to_async(Job.objects.exists)()


async def test_an_outsider_gets_404_and_a_pool_viewer_403(transfer_pool, owner, outsider, teammate, volume_to_upload):
    host, pool, _ = transfer_pool
    path = volume_to_upload("guarded.img", MiB)

    def grant_viewer():
        do_grant(owner, Role.objects.get(name="Pool viewer"), to_user=teammate, pool=pool_row(host, pool))
        return auth(outsider), auth(teammate)

    outsider_headers, viewer_headers = await sync_to_async(grant_viewer)()
    hidden = await call("PUT", path, {**outsider_headers, "Content-Length": MiB}, pattern(MiB))
    assert hidden.status == 404 and hidden.json()["code"] == "not_found"
    refused = await call("PUT", path, {**viewer_headers, "Content-Length": MiB}, pattern(MiB))
    assert refused.status == 403 and refused.json()["fields"] == {"permission": "storage_vol.data_write"}
    not_read = await call("GET", path, viewer_headers)
    assert not_read.status == 403
    anonymous = await call("PUT", path, {"Content-Length": MiB}, pattern(MiB))
    assert anonymous.status == 401


async def test_a_session_upload_needs_the_csrf_token(transfer_pool, owner, volume_to_upload):
    from django.test import Client

    host, pool, _ = transfer_pool
    path = volume_to_upload("session.img", MiB)

    def cookies():
        client = Client()
        client.force_login(owner)
        client.get("/")
        return client.cookies["sessionid"].value, client.cookies["csrftoken"].value

    session, csrf = await sync_to_async(cookies)()
    cookie = {"Cookie": f"sessionid={session}; csrftoken={csrf}", "Content-Length": MiB,
              "Host": "127.0.0.1:8000", "Origin": "http://127.0.0.1:8000"}
    without = await call("PUT", path, cookie, pattern(MiB))
    assert without.status == 403 and "CSRF" in without.json()["message"]
    with_token = await call("PUT", content_path(host, pool, "session.img"), {**cookie, "X-CSRFToken": csrf},
                            pattern(MiB))
    assert with_token.status == 200, with_token.body


async def test_an_upload_into_a_missing_volume_answers_404(transfer_pool, owner_headers):
    host, pool, _ = transfer_pool
    answer = await call("PUT", content_path(host, pool, "nope.img"), {**owner_headers, "Content-Length": 10},
                        [b"x" * 10])
    assert answer.status == 404
    assert find_volume(pool, "nope.img") is None
