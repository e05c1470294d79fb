"""Snapshot fixtures: a test:/// host with a running and a stopped domain, the demo guest on a qcow2 volume of the
system libvirtd, API callers, and waiting for a job."""

import uuid
from pathlib import Path

import pytest
from django.conf import settings

from domains.hosts.actions import do_add_host
from domains.libvirt import adapter
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain
from tests.libvirt_support import MiB, guest_with_disk, own_connection, own_dir_pool, remove_everything


@pytest.fixture
def lab(transactional_db, make_test_host):
    """{"host", "running", "stopped"}: a test:/// host whose vm0000 runs and vm0001 is shut off."""
    host = make_test_host("snaps", domains=2, running=(0,))
    inventory.sync_host(host)
    return {"host": host, "running": Domain.objects.get(host=host, name="vm0000"),
            "stopped": Domain.objects.get(host=host, name="vm0001")}


def snapshots_url(domain, name=None, tail=""):
    return f"/api/v1/domains/{domain.uuid}/snapshots" + (f"/{name}" if name else "") + tail


def libvirt_names(domain):
    dom = adapter.find_domain(adapter.connection_for(domain.host).get(), uuid=domain.uuid)
    return sorted(snap.getName() for snap in dom.listAllSnapshots(0))


# --- the system libvirtd: the demo guest on a qcow2 disk in a dir pool of the test's own ---

SYSTEM_PREFIX = "snaps-"
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
        pool = own_dir_pool(conn, tmp_path / prefix, prefix)
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
