"""Fixtures of the volume tests: the personas, the system libvirtd host, and dir pools in temp directories."""

import uuid

import libvirt
import pytest
from rest_framework.test import APIClient

from domains.hosts.actions import do_add_host
from domains.jobs.models import Job
from domains.libvirt.adapter import connection_for, daemon_uri
from domains.storage.lookups import pool_row
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


@pytest.fixture
def system_host(transactional_db, owner, tmp_path):
    """The system libvirtd as a console host whose pools may live under this test's temp directory."""
    host = do_add_host(owner, "system", "qemu:///system")
    host.pool_paths = [str(tmp_path)]
    host.save(update_fields=["pool_paths"])
    yield host
    connection_for(host).close()


@pytest.fixture
def dir_pool(system_host, tmp_path):
    """make(label) -> Pool row of a started dir pool in its own temp directory; all undefined at the end."""
    conn = own_connection()
    made = []

    def make(label="p"):
        name = f"vc-test-{label}-{uuid.uuid4().hex[:8]}"
        directory = tmp_path / name
        directory.mkdir()
        directory.chmod(0o755)
        handle = conn.storagePoolDefineXML(f"<pool type='dir'><name>{name}</name><target><path>{directory}</path>"
                                           "</target></pool>")
        made.append(name)
        handle.create()
        return pool_row(system_host, connection_for(system_host).get().storagePoolLookupByName(name))

    yield make
    for name in made:
        try:
            handle = conn.storagePoolLookupByName(name)
        except libvirt.libvirtError:
            continue
        if handle.isActive():
            for vol in handle.listAllVolumes():
                vol.delete()
            handle.destroy()
        handle.undefine()
    conn.close()


@pytest.fixture
def defined_domains(system_host):
    """define(name_part, disks_xml) -> the name of a defined (not started) domain on the system host."""
    conn = own_connection()
    made = []

    def define(part, disks_xml):
        name = f"vc-test-{part}-{uuid.uuid4().hex[:8]}"
        conn.defineXML(f"<domain type='qemu'><name>{name}</name><memory>65536</memory><os><type arch='x86_64'>hvm"
                       f"</type></os><devices>{disks_xml}</devices></domain>")
        made.append(name)
        return name

    yield define
    for name in made:
        try:
            conn.lookupByName(name).undefine()
        except libvirt.libvirtError:
            pass
    conn.close()


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
