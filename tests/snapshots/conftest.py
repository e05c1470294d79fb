"""Snapshot fixtures: a test:/// host with a running and a stopped domain, API callers, and waiting for a job."""

import pytest
from rest_framework.test import APIClient

from domains.jobs.models import Job
from domains.libvirt import adapter
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain
from tests.conftest import wait_for


@pytest.fixture
def api_as():
    """api_as(user) -> an API client signed in as user."""
    def sign_in(user):
        client = APIClient()
        client.force_authenticate(user)
        return client
    return sign_in


@pytest.fixture
def lab(transactional_db, make_test_host):
    """{"host", "running", "stopped"}: a test:/// host whose vm0000 runs and vm0001 is shut off."""
    host = make_test_host("snaps", domains=2, running=(0,))
    inventory.sync_host(host)
    return {"host": host, "running": Domain.objects.get(host=host, name="vm0000"),
            "stopped": Domain.objects.get(host=host, name="vm0001")}


def snapshots_url(domain, name=None, tail=""):
    return f"/api/v1/domains/{domain.uuid}/snapshots" + (f"/{name}" if name else "") + tail


def wait_for_job(job_id, timeout=120):
    """The job once it ended (whatever its state)."""
    return wait_for(lambda: (lambda job: job if job.ended else None)(Job.objects.get(pk=job_id)), timeout,
                    interval=0.1)


def libvirt_names(domain):
    dom = adapter.find_domain(adapter.connection_for(domain.host).get(), uuid=domain.uuid)
    return sorted(snap.getName() for snap in dom.listAllSnapshots(0))
