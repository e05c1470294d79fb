"""Every job change reaches, as a 'job' message, the events sockets of those who may see the job, and no others."""

import json

import pytest
from channels.db import database_sync_to_async

from domains.access.grants import do_grant
from domains.jobs.actions import do_finish_job, do_start_job

pytestmark = pytest.mark.django_db(transaction=True)


async def next_job_message(comm):
    """The next 'job' message on the socket (hello and subscription answers are skipped)."""
    while True:
        message = json.loads(await comm.receive_from(timeout=10))
        if message["type"] == "job":
            return message["job"]


async def test_the_owner_of_a_job_sees_it_start_progress_and_end(connect, owner, host):
    comm, connected, _ = await connect("/ws/v1/events", owner)
    assert connected

    job = await database_sync_to_async(do_start_job)(owner, "volume.upload", host, total=2048, cancellable=True)
    started = await next_job_message(comm)
    await database_sync_to_async(job.report)(1024)
    progressed = await next_job_message(comm)
    await database_sync_to_async(do_finish_job)(job, {"sha256": "00"})
    ended = await next_job_message(comm)

    assert started["id"] == job.pk and started["state"] == "running" and started["kind"] == "volume.upload"
    assert progressed["progress"] == {"done": 1024, "total": 2048, "unit": "bytes"}
    assert ended["state"] == "succeeded" and ended["result"] == {"sha256": "00"}
    await comm.disconnect()


async def test_a_teammate_sees_his_jobs_and_not_the_owners_on_a_host_he_holds_nothing_on(
        connect, owner, teammate, host):
    comm, connected, _ = await connect("/ws/v1/events", teammate)
    assert connected

    hidden = await database_sync_to_async(do_start_job)(owner, "volume.upload", host)
    his = await database_sync_to_async(do_start_job)(teammate, "volume.upload", host)

    assert (await next_job_message(comm))["id"] == his.pk, "the owner's job came first, or no job came"
    await database_sync_to_async(do_finish_job)(hidden)
    await database_sync_to_async(do_finish_job)(his)
    # Sent in this order: had the owner's end reached this socket, it would come first.
    assert (await next_job_message(comm))["id"] == his.pk
    await comm.disconnect()


async def test_a_host_grant_shows_the_hosts_jobs_on_the_socket(connect, owner, teammate, host):
    await database_sync_to_async(do_grant)(owner, "Viewer", to_user=teammate, host=host)
    comm, connected, _ = await connect("/ws/v1/events", teammate)
    assert connected

    job = await database_sync_to_async(do_start_job)(owner, "volume.upload", host)

    assert (await next_job_message(comm))["id"] == job.pk
    await database_sync_to_async(do_finish_job)(job)
    await comm.disconnect()
