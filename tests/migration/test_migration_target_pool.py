"""Copying a guest's disk into a pool chosen on the destination (another directory than the source's): the disk's
new path passed through the destination's XML, the chosen pool checked first, its new volume removed on cancel."""

import libvirt
import pytest

from domains.jobs.models import Job
from domains.lifecycle.models import Domain
from tests.conftest import wait_for
from tests.libvirt_support import wait_for_job
from tests.migration.conftest import PRIVATE, serial_answers
from tests.migration.test_migration_system import api, migrate, migrated, running_on, start, start_booted

pytestmark = [pytest.mark.system, pytest.mark.two_hosts]


@pytest.fixture
def target_pool(pair):
    """A directory pool <prefix>-target on the second host only, in a directory the source has no pool for;
    started unless the test asks for it stopped (target_pool(active=False))."""
    second_conn = pair["conns"][1]
    name = f"{pair['prefix']}-target"
    made = []

    def make(active=True):
        pool = second_conn.storagePoolDefineXML(f"<pool type='dir'><name>{name}</name><target><path>"
                                                f"{PRIVATE / name}</path></target></pool>", 0)
        pool.build(0)
        if active:
            pool.create(0)
        made.append(pool)
        return pool

    yield make
    for pool in made:
        if pool.isActive():
            pool.refresh(0)
            for vol in pool.listAllVolumes(0):
                vol.delete(0)
            pool.destroy()
        pool.delete(0)
        pool.undefine()


def disk_path(conn, domain, flags=0):
    xml = conn.lookupByUUID(domain.uuid.bytes).XMLDesc(flags)
    return xml.split("<source file='", 1)[1].split("'", 1)[0]


def test_the_guest_moves_live_with_its_disk_copied_into_the_chosen_pool(owner, pair, target_pool):
    first_conn, second_conn = pair["conns"]
    domain = pair["guest"](shared=False)
    pool = target_pool()
    start_booted(first_conn, domain)
    new_path = str(PRIVATE / pool.name() / f"{pair['prefix']}.qcow2")

    job = migrated(owner, domain, pair["second"], copy_storage="all", target_pools={"vda": pool.name()},
                   undefine_source=True)

    assert job.result["copied_to"] == {"vda": {"pool": pool.name(), "path": new_path}}
    assert running_on(second_conn, domain)
    assert disk_path(second_conn, domain) == new_path
    assert disk_path(second_conn, domain, libvirt.VIR_DOMAIN_XML_INACTIVE) == new_path
    pool.refresh(0)
    assert pool.storageVolLookupByName(f"{pair['prefix']}.qcow2").info()[1] == 64 * 1024 * 1024
    assert serial_answers(second_conn, domain.name)
    assert Domain.objects.get(pk=domain.pk).host_id == pair["second"].pk


@pytest.mark.parametrize("case", ["pool_missing", "pool_inactive", "invalid"])
def test_a_chosen_pool_that_cannot_take_the_disk_is_refused_before_anything_moves(owner, pair, target_pool, case):
    first_conn, second_conn = pair["conns"]
    domain = pair["guest"](shared=False)
    start(first_conn, domain)
    chosen = {"pool_missing": f"{pair['prefix']}-nowhere", "pool_inactive": None, "invalid": None}[case]
    if case == "pool_inactive":
        chosen = target_pool(active=False).name()
    options = {"copy_storage": "all", "target_pools": {"vda": chosen}}
    if case == "invalid":
        options["target_pools"] = {"vdz": target_pool().name()}
    jobs_before = Job.objects.count()

    answer = migrate(owner, domain, pair["second"], **options)

    assert answer.status_code in (400, 409) and answer.json()["code"] == case, answer.json()
    assert Job.objects.count() == jobs_before
    assert running_on(first_conn, domain) and not running_on(second_conn, domain)


def test_a_cancelled_copy_leaves_no_volume_in_the_chosen_pool(owner, pair, target_pool):
    first_conn, second_conn = pair["conns"]
    domain = pair["guest"](shared=False)
    pool = target_pool()
    start(first_conn, domain)

    answer = migrate(owner, domain, pair["second"], copy_storage="all", pool=pool.name(), bandwidth=1)
    assert answer.status_code == 202, answer.json()
    job_id = answer.json()["id"]
    wait_for(lambda: Job.objects.get(pk=job_id).detail.get("data_processed"), timeout=60, interval=0.1)
    assert api(owner).post(f"/api/v1/jobs/{job_id}/cancel").status_code == 202

    assert wait_for_job(job_id).state == "cancelled"
    pool.refresh(0)
    assert pool.listAllVolumes(0) == []
    assert running_on(first_conn, domain) and not running_on(second_conn, domain)
    assert serial_answers(first_conn, domain.name)
