"""POST /api/v1/domains/{uuid}/migrate and POST /api/v1/jobs/{id}/postcopy on test:/// hosts: who may, and the
refusals made before anything moves (the moves themselves: test_migration_system.py, on two libvirtds)."""

import pytest
from rest_framework.test import APIClient

from domains.access.models import AuditEntry
from domains.jobs.actions import do_finish_job, do_start_job
from domains.jobs.models import Job
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain
from domains.libvirt.migration import migration_address

pytestmark = pytest.mark.django_db(transaction=True)


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def hosts(make_test_host):
    source, other = make_test_host("mig-source", domains=2, running=(0,)), make_test_host("mig-other", domains=1)
    inventory.sync_host(source)
    return {"source": source, "other": other, "running": Domain.objects.get(host=source, name="vm0000")}


def migrate(user, domain, destination, **options):
    return api(user).post(f"/api/v1/domains/{domain.uuid}/migrate", {"destination": destination, **options},
                          format="json")


def test_it_refuses_a_destination_that_is_the_same_libvirtd_before_any_job(owner, hosts):
    answer = migrate(owner, hosts["running"], hosts["other"].pk)

    assert answer.status_code == 409
    assert answer.json()["code"] == "destination_same_libvirtd"
    assert not Job.objects.exists()
    assert AuditEntry.objects.filter(action="domain.migrate", outcome__startswith="refused").exists()


def test_it_refuses_the_domains_own_host(owner, hosts):
    answer = migrate(owner, hosts["running"], hosts["source"].pk)

    assert answer.status_code == 409 and answer.json()["code"] == "same_host"


def test_it_answers_404_for_a_destination_that_does_not_exist(owner, hosts):
    assert migrate(owner, hosts["running"], 987654).status_code == 404


def test_it_refuses_an_unknown_copy_storage_mode(owner, hosts):
    answer = migrate(owner, hosts["running"], hosts["other"].pk, copy_storage="some")

    assert answer.status_code == 400 and "copy_storage" in answer.json()["fields"]


def test_it_refuses_peer_to_peer_to_a_host_reached_through_a_local_uri(owner, hosts):
    answer = migrate(owner, hosts["running"], hosts["other"].pk, peer_to_peer=True)

    assert answer.status_code == 409 and answer.json()["code"] == "p2p_needs_remote"


def test_a_teammate_without_migrate_on_the_domain_is_refused(teammate, grant, hosts):
    grant("Power user", to=teammate, domain=hosts["running"])

    assert migrate(teammate, hosts["running"], hosts["other"].pk).status_code == 403


def test_a_teammate_with_migrate_but_nothing_on_the_destination_is_refused(teammate, grant, hosts):
    grant("Administrator", to=teammate, domain=hosts["running"])

    answer = migrate(teammate, hosts["running"], hosts["other"].pk)

    assert answer.status_code in (403, 404)
    assert not Job.objects.exists()


def test_an_outsider_does_not_see_the_domain(outsider, hosts):
    assert migrate(outsider, hosts["running"], hosts["other"].pk).status_code == 404


def test_postcopy_is_refused_for_a_job_that_is_no_migration(owner, hosts):
    job = do_start_job(owner, "volume.upload", hosts["running"])
    do_finish_job(job)

    answer = api(owner).post(f"/api/v1/jobs/{job.pk}/postcopy")

    assert answer.status_code == 409 and answer.json()["code"] == "not_a_migration"


def test_the_migration_address_is_the_host_name_of_a_network_uri():
    assert migration_address("qemu+tcp://10.250.0.2/system") == "10.250.0.2"
    assert migration_address("qemu+unix:///system?socket=/run/libvirt/libvirt-sock") is None


def test_it_refuses_tls_together_with_tunnelled_before_any_job(owner, hosts):
    answer = migrate(owner, hosts["running"], hosts["other"].pk, tls=True, tunnelled=True, peer_to_peer=True)

    assert answer.status_code == 400 and "tls" in answer.json()["fields"]
    assert not Job.objects.exists()


def test_it_refuses_tls_between_hosts_whose_driver_has_no_tls_migration(owner, hosts):
    answer = migrate(owner, hosts["running"], hosts["other"].pk, tls=True)

    assert answer.status_code == 409 and answer.json()["code"] == "tls_unavailable"
    assert "without tls" in answer.json()["message"]
    assert not Job.objects.exists()
