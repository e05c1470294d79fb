"""Clone fixtures: a test:/// host whose domains have a disk on a volume of an in-memory pool, API callers, and
what a refusal must leave as it was."""

import pytest
from rest_framework.test import APIClient

from domains.jobs.models import Job
from domains.libvirt import adapter
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain
from tests.conftest import wait_for

MiB = 1024 * 1024

# A test-driver domain with a writable disk on a volume, a CD-ROM, a NIC with a fixed MAC, a VNC display on a fixed
# port and a serial port written to a file.
TEST_DOMAIN = """<domain type='test'>
  <name>{name}</name>
  <uuid>{uuid}</uuid>
  <memory>65536</memory>
  <vcpu>1</vcpu>
  <sysinfo type='smbios'><system><entry name='uuid'>{uuid}</entry></system></sysinfo>
  <os><type>hvm</type><smbios mode='sysinfo'/></os>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{disk}'/>
      <target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='cdrom'><source file='{iso}'/><target dev='hdc' bus='ide'/><readonly/></disk>
    <interface type='user'><mac address='52:54:00:12:34:56'/></interface>
    <serial type='file'><source path='{serial}'/><target port='0'/></serial>
    <graphics type='vnc' port='5977' autoport='no' websocket='5777'/>
  </devices>
</domain>"""


@pytest.fixture
def api_as():
    def sign_in(user):
        client = APIClient()
        client.force_authenticate(user)
        return client
    return sign_in


@pytest.fixture
def lab(transactional_db, make_test_host, tmp_path):
    """{"host", "conn", "pool", "stopped", "running", "disk"}: a test:/// host with the in-memory dir pool 'clones'
    holding src.img and cd.iso, the shut-off domain 'source' and the running 'busy' using them."""
    host = make_test_host("clones", domains=0)
    conn = adapter.connection_for(host).get()
    directory = tmp_path / "pool"
    pool = conn.storagePoolCreateXML(f"<pool type='dir'><name>clones</name><target><path>{directory}</path>"
                                     "</target></pool>", 0)
    other = conn.storagePoolCreateXML(f"<pool type='dir'><name>other</name><target><path>{tmp_path / 'other'}"
                                      "</path></target></pool>", 0)
    disk = pool.createXML(f"<volume><name>src.img</name><capacity>{8 * MiB}</capacity><allocation>{MiB}"
                          "</allocation><target><format type='raw'/></target></volume>", 0)
    iso = pool.createXML(f"<volume><name>cd.iso</name><capacity>{MiB}</capacity>"
                         "<target><format type='raw'/></target></volume>", 0)
    busy_disk = pool.createXML(f"<volume><name>busy.img</name><capacity>{MiB}</capacity>"
                               "<target><format type='raw'/></target></volume>", 0)
    conn.defineXML(TEST_DOMAIN.format(name="source", uuid="11111111-1111-4111-8111-111111111111", disk=disk.path(),
                                      iso=iso.path(), serial=tmp_path / "source-serial.log"))
    busy = conn.defineXML(TEST_DOMAIN.format(name="busy", uuid="22222222-2222-4222-8222-222222222222",
                                             disk=busy_disk.path(), iso=iso.path(), serial=tmp_path / "busy.log"))
    busy.create()
    inventory.sync_host(host)
    return {"host": host, "conn": conn, "pool": pool, "other": other, "disk": disk.path(),
            "stopped": Domain.objects.get(host=host, name="source"), "running": Domain.objects.get(host=host,
                                                                                                name="busy")}


def clone_url(domain):
    return f"/api/v1/domains/{domain.uuid}/clone"


def wait_for_job(job_id, timeout=60):
    """The job once it ended (whatever its state)."""
    return wait_for(lambda: (lambda job: job if job.ended else None)(Job.objects.get(pk=job_id)), timeout,
                    interval=0.05)


def volume_names(*pools):
    names = []
    for pool in pools:
        pool.refresh(0)
        names += sorted(f"{pool.name()}/{vol.name()}" for vol in pool.listAllVolumes(0))
    return names


def snapshot_of_world(lab):
    """What a refused clone must leave as it was: the host's domains and volumes, the Domain rows and jobs."""
    return (sorted(dom.name() for dom in lab["conn"].listAllDomains(0)), volume_names(lab["pool"], lab["other"]),
            sorted(Domain.objects.values_list("name", flat=True)), Job.objects.count())
