"""Helpers of the volume tests (their fixtures are in conftest.py): API callers, a libvirt connection of their own,
waiting for jobs."""

import libvirt
from rest_framework.test import APIClient

from domains.jobs.models import Job
from domains.libvirt.adapter import daemon_uri
from tests.conftest import wait_for

GiB = 2**30
MiB = 2**20


def api_as(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def own_connection():
    """A libvirt connection of the test's own, for setting up and checking behind the console's back."""
    return libvirt.open(daemon_uri("qemu:///system"))


def volume_names(pool):
    conn = own_connection()
    try:
        handle = conn.storagePoolLookupByName(pool.name)
        handle.refresh(0)
        return sorted(vol.name() for vol in handle.listAllVolumes())
    finally:
        conn.close()


def wait_for_job(job_id, timeout=60):
    """The job once it ended (whatever its state)."""
    return wait_for(lambda: (lambda job: job if job.ended else None)(Job.objects.get(pk=job_id)), timeout)
