"""A job whose process died is marked interrupted, never left running; a live process's jobs keep beating."""

import socket
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone

from domains.access.models import AuditEntry
from domains.jobs import heartbeat, progress
from domains.jobs.actions import do_finish_job, do_start_job
from domains.jobs.models import Job
from tests.jobs.conftest import api_as


def dead_process_runner():
    """A runner name of a process of this machine that really ran and ended."""
    child = subprocess.Popen(["true"])
    child.wait()
    return f"{socket.gethostname()}:{child.pid}:0badc0de"


def test_a_job_whose_process_died_is_marked_interrupted_at_once(owner, host):
    job = Job.objects.create(kind="volume.upload", host=host, user=owner, user_name="alice",
                             runner=dead_process_runner(), heartbeat=timezone.now(), started=timezone.now())

    assert heartbeat.mark_stale_jobs_interrupted() == 1

    job.refresh_from_db()
    assert job.state == "interrupted" and job.ended is not None
    assert "stopped before the job ended" in job.error and job.runner in job.error
    assert AuditEntry.objects.filter(action="volume.upload", outcome__startswith="interrupted").count() == 1


def test_a_job_silent_for_longer_than_the_threshold_is_marked_interrupted(owner, host):
    silent = Job.objects.create(kind="domain.migrate", host=host, runner="another-machine:4242:feedface",
                                heartbeat=timezone.now() - timedelta(seconds=heartbeat.STALE_AFTER + 5))
    recent = Job.objects.create(kind="domain.migrate", host=host, runner="another-machine:4243:feedface",
                                heartbeat=timezone.now())

    heartbeat.mark_stale_jobs_interrupted()

    assert Job.objects.get(pk=silent.pk).state == "interrupted"
    assert Job.objects.get(pk=recent.pk).state == "running"


def test_jobs_that_ended_are_left_as_they_are(host):
    ended = Job.objects.create(kind="volume.wipe", state="succeeded", runner=dead_process_runner(),
                               heartbeat=timezone.now() - timedelta(hours=1))

    assert heartbeat.mark_stale_jobs_interrupted() == 0
    assert Job.objects.get(pk=ended.pk).state == "succeeded"


@pytest.mark.django_db(transaction=True)
def test_this_processs_running_jobs_keep_beating_and_are_never_swept(owner, host):
    job = do_start_job(owner, "volume.upload", host)
    Job.objects.filter(pk=job.pk).update(heartbeat=timezone.now() - timedelta(hours=1))

    assert heartbeat.mark_stale_jobs_interrupted() == 0
    heartbeat.beat()

    row = Job.objects.get(pk=job.pk)
    assert row.state == "running" and timezone.now() - row.heartbeat < timedelta(seconds=heartbeat.STALE_AFTER)
    assert row.runner == progress.RUNNER
    do_finish_job(job)


def test_listing_jobs_sweeps_the_interrupted_ones(owner, host):
    job = Job.objects.create(kind="volume.upload", host=host, runner=dead_process_runner(), heartbeat=timezone.now())

    listed = api_as(owner).get("/api/v1/jobs").json()["results"]

    assert [(j["id"], j["state"]) for j in listed] == [(job.pk, "interrupted")]
