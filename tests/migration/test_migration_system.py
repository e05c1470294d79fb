"""Migrating the demo guest between the two libvirtds through the API: live there and back, with and without copying
its disk, cancelled midway, and each failed pre-check refused before anything moves."""

import libvirt
import pytest
from rest_framework.test import APIClient

from domains.access.models import Grant
from domains.consoles.models import ConsoleTicket
from domains.jobs.models import Job
from domains.lifecycle.models import Domain
from tests.conftest import wait_for
from tests.migration.conftest import serial_answers
from tests.libvirt_support import wait_for_job

pytestmark = [pytest.mark.system, pytest.mark.two_hosts]


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def migrate(user, domain, destination, **options):
    return api(user).post(f"/api/v1/domains/{domain.uuid}/migrate", {"destination": destination.pk, **options},
                          format="json")


def start(conn, domain):
    dom = conn.lookupByUUID(domain.uuid.bytes)
    dom.create()
    return dom


def start_booted(conn, domain):
    """start(), then wait for the guest's shell before it moves: a guest moved early in its boot once had not
    reached its shell within the wait after the move (a boot slowed by a loaded machine), so each answer after a
    move measures the move."""
    dom = start(conn, domain)
    assert serial_answers(conn, domain.name, timeout=180.0)
    return dom


def running_on(conn, domain):
    try:
        return bool(conn.lookupByUUID(domain.uuid.bytes).isActive())
    except libvirt.libvirtError:
        return False


def migrated(user, domain, destination, **options):
    answer = migrate(user, domain, destination, **options)
    assert answer.status_code == 202, answer.json()
    job = wait_for_job(answer.json()["id"])
    assert job.state == "succeeded", job.error
    return job


def test_the_guest_moves_live_there_and_back_on_shared_storage_and_keeps_its_row(owner, teammate, grant, pair):
    first_conn, second_conn = pair["conns"]
    domain = pair["guest"](shared=True)
    start_booted(first_conn, domain)
    given = grant("Power user", to=teammate, domain=domain)
    ticket = ConsoleTicket.objects.issue(owner, domain, "serial")

    job = migrated(owner, domain, pair["second"], unsafe=True, undefine_source=True)

    assert running_on(second_conn, domain) and not running_on(first_conn, domain)
    row = Domain.objects.get(pk=domain.pk)
    assert row.host_id == pair["second"].pk and row.uuid == domain.uuid and not row.gone
    assert not Domain.objects.filter(host=pair["first"], uuid=domain.uuid).exists()
    assert Grant.objects.get(pk=given.pk).domain_id == domain.pk
    assert not ConsoleTicket.objects.filter(domain=domain, used__isnull=True).exists(), ticket
    assert job.result["destination"] == pair["second"].pk and job.result["live"]
    assert serial_answers(second_conn, domain.name)

    migrated(owner, Domain.objects.get(pk=domain.pk), pair["first"], unsafe=True, undefine_source=True)

    assert running_on(first_conn, domain) and not running_on(second_conn, domain)
    assert Domain.objects.get(pk=domain.pk).host_id == pair["first"].pk
    assert Domain.objects.filter(uuid=domain.uuid).count() == 1
    assert serial_answers(first_conn, domain.name)


def test_the_guest_moves_live_with_its_disk_copied_and_back(owner, pair):
    first_conn, second_conn = pair["conns"]
    domain = pair["guest"](shared=False)
    start_booted(first_conn, domain)
    disk = first_conn.storagePoolLookupByName(pair["prefix"]).storageVolLookupByName(f"{pair['prefix']}.qcow2")
    path = disk.path()

    job = migrated(owner, domain, pair["second"], copy_storage="all", undefine_source=True)

    assert job.result["copied_disks"] == ["vda"]
    assert running_on(second_conn, domain)
    assert second_conn.storageVolLookupByPath(path).info()[1] == 64 * 1024 * 1024
    assert serial_answers(second_conn, domain.name)
    disk.delete(0)  # the source keeps its old copy; the way back needs the place free

    migrated(owner, Domain.objects.get(pk=domain.pk), pair["first"], copy_storage="all", undefine_source=True)

    assert running_on(first_conn, domain) and not running_on(second_conn, domain)
    assert serial_answers(first_conn, domain.name)


def test_a_cancelled_migration_leaves_the_guest_running_on_the_source(owner, pair):
    first_conn, second_conn = pair["conns"]
    domain = pair["guest"](shared=True)
    start(first_conn, domain)

    answer = migrate(owner, domain, pair["second"], unsafe=True, bandwidth=1)
    assert answer.status_code == 202, answer.json()
    job_id = answer.json()["id"]
    wait_for(lambda: Job.objects.get(pk=job_id).detail.get("data_processed"), timeout=60, interval=0.1)
    assert api(owner).post(f"/api/v1/jobs/{job_id}/cancel").status_code == 202
    job = wait_for_job(job_id)

    assert job.state == "cancelled"
    assert running_on(first_conn, domain) and not running_on(second_conn, domain)
    assert Domain.objects.get(pk=domain.pk).host_id == pair["first"].pk
    assert serial_answers(first_conn, domain.name)


def test_a_stopped_guest_moves_offline_as_its_definition(owner, pair):
    first_conn, second_conn = pair["conns"]
    domain = pair["guest"](shared=True)

    job = migrated(owner, domain, pair["second"], undefine_source=True)

    assert job.result["offline"]
    assert second_conn.lookupByUUID(domain.uuid.bytes).isPersistent()
    assert Domain.objects.get(pk=domain.pk).host_id == pair["second"].pk


@pytest.mark.parametrize("case", ["same_host", "domain_exists", "network_missing", "pool_missing",
                                  "offline_needs_persist"])
def test_each_failed_pre_check_is_refused_before_anything_moves(owner, pair, case):
    first_conn, second_conn = pair["conns"]
    network = f"{pair['prefix']}-net" if case == "network_missing" else None
    domain = pair["guest"](shared=case != "pool_missing", network=network)
    options = {"unsafe": True}
    destination = pair["second"]
    if case == "same_host":
        destination = pair["first"]
    elif case == "domain_exists":
        second_conn.defineXML(first_conn.lookupByUUID(domain.uuid.bytes).XMLDesc(0))
    elif case == "pool_missing":
        second_conn.storagePoolLookupByName(pair["prefix"]).destroy()
        options["copy_storage"] = "all"
        start(first_conn, domain)
    elif case == "offline_needs_persist":
        options["persist"] = False
    jobs_before = Job.objects.count()

    answer = migrate(owner, domain, destination, **options)

    assert answer.status_code in (400, 409), answer.json()
    assert answer.json()["code"] == case, answer.json()
    assert Job.objects.count() == jobs_before
    assert Domain.objects.get(pk=domain.pk).host_id == pair["first"].pk
    if case != "domain_exists":
        assert not any(dom.UUID() == domain.uuid.bytes for dom in second_conn.listAllDomains(0))


def test_a_slow_migration_switched_to_post_copy_finishes_on_the_destination(owner, pair):
    first_conn, second_conn = pair["conns"]
    domain = pair["guest"](shared=True)
    start(first_conn, domain)

    answer = migrate(owner, domain, pair["second"], unsafe=True, postcopy=True, bandwidth=1, undefine_source=True)
    assert answer.status_code == 202, answer.json()
    job_id = answer.json()["id"]
    wait_for(lambda: Job.objects.get(pk=job_id).detail.get("data_processed"), timeout=60, interval=0.1)
    switched = api(owner).post(f"/api/v1/jobs/{job_id}/postcopy")
    assert switched.status_code == 202, switched.json()
    # Post-copy pulls the rest on demand; lift the 1 MiB/s limit so the background copy ends quickly.
    first_conn.lookupByUUID(domain.uuid.bytes).migrateSetMaxSpeed(
        1000, libvirt.VIR_DOMAIN_MIGRATE_MAX_SPEED_POSTCOPY)
    job = wait_for_job(job_id)

    assert job.state == "succeeded", job.error
    assert running_on(second_conn, domain)
    assert Domain.objects.get(pk=domain.pk).host_id == pair["second"].pk


def test_post_copy_is_refused_for_a_migration_started_without_it(owner, pair):
    first_conn, _second_conn = pair["conns"]
    domain = pair["guest"](shared=True)
    start(first_conn, domain)
    answer = migrate(owner, domain, pair["second"], unsafe=True, bandwidth=1)
    job_id = answer.json()["id"]
    wait_for(lambda: Job.objects.get(pk=job_id).detail.get("data_processed"), timeout=60, interval=0.1)

    refused = api(owner).post(f"/api/v1/jobs/{job_id}/postcopy")

    assert refused.status_code == 409 and refused.json()["code"] == "postcopy_not_enabled"
    api(owner).post(f"/api/v1/jobs/{job_id}/cancel")
    assert wait_for_job(job_id).state == "cancelled"
