"""Snapshot fixtures: a test:/// host with a running and a stopped domain, the demo guest on a qcow2 volume of the
system libvirtd, API callers, and waiting for a job."""

import re
import uuid
from pathlib import Path

import libvirt
import pytest
from django.conf import settings

from domains.hosts.actions import do_add_host
from domains.hosts.embedded import demo_domain_xml
from domains.jobs.models import Job
from domains.libvirt import adapter
from domains.libvirt.adapter import daemon_uri
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain
from tests.conftest import wait_for


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


# --- the system libvirtd: the demo guest on a qcow2 disk in a dir pool of the test's own ---

SYSTEM_PREFIX = "snaps-"
MiB = 1024 * 1024


def own_connection():
    """A libvirt connection of the test's own, for setting up and checking behind the console's back."""
    return libvirt.open(daemon_uri("qemu:///system"))


def guest_with_disk(name, disk_path):
    """The demo guest's XML with one qcow2 disk (vda) and no network (the snapshots need none)."""
    xml = demo_domain_xml(settings.DEMO_GUEST_DIR, name)
    xml = re.sub(r"<interface type='user'>.*?</interface>", "", xml, flags=re.S)
    disk = (f"<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='{disk_path}'/>"
            "<target dev='vda' bus='virtio'/></disk>")
    return xml.replace("<devices>", "<devices>" + disk, 1)


def remove_everything(conn, prefix):
    """Destroy and undefine the domains (with their snapshots' metadata), then empty and undefine the pools, whose
    names start with prefix."""
    for dom in conn.listAllDomains(0):
        if dom.name().startswith(prefix):
            if dom.isActive():
                dom.destroy()
            dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA)
            Path(f"/var/log/libvirt/qemu/{dom.name()}.log").unlink(missing_ok=True)
    for pool in conn.listAllStoragePools(0):
        if pool.name().startswith(prefix):
            persistent = pool.isPersistent()  # a transient pool is gone once destroyed
            if pool.isActive():
                pool.refresh(0)
                for vol in pool.listAllVolumes(0):
                    vol.delete(0)
                pool.destroy()
            if persistent:
                pool.undefine()


@pytest.fixture
def guest(system_libvirtd, transactional_db, owner, tmp_path):
    """{"host", "domain", "pool", "disk"}: the demo guest (defined, shut off) named snaps-<label>-guest on a 64 MiB
    qcow2 volume of the dir pool snaps-<label>; everything named snaps-<label> is removed afterwards, even when
    the test fails."""
    if not (Path(settings.DEMO_GUEST_DIR) / "vmlinuz").exists():
        pytest.fail(f"The demo guest is not built in {settings.DEMO_GUEST_DIR}: run "
                    "'bash scripts/build-demo-guest.sh'.")
    prefix = f"{SYSTEM_PREFIX}{uuid.uuid4().hex[:8]}"
    conn = own_connection()
    host = do_add_host(owner, "system", "qemu:///system")
    try:
        directory = tmp_path / prefix
        directory.mkdir()
        directory.chmod(0o755)
        pool = conn.storagePoolDefineXML(f"<pool type='dir'><name>{prefix}</name><target><path>{directory}</path>"
                                         "</target></pool>")
        pool.create()
        vol = pool.createXML(f"<volume><name>{prefix}-base.qcow2</name><capacity>{64 * MiB}</capacity>"
                             "<target><format type='qcow2'/></target></volume>", 0)
        conn.defineXML(guest_with_disk(f"{prefix}-guest", vol.path()))
        inventory.sync_host(host)
        yield {"host": host, "domain": Domain.objects.get(host=host, name=f"{prefix}-guest"), "pool": pool,
               "disk": vol.path(), "conn": conn, "prefix": prefix}
    finally:
        adapter.forget_host(host.pk)
        remove_everything(conn, prefix)
        conn.close()
