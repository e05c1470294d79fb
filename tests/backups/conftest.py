"""Backup fixtures: the demo guest on a qcow2 v3 volume of the system libvirtd (checkpoints need v3), a pool for
the backups, and removing everything named after the test (domains with their checkpoints, pools) afterwards."""

import uuid
from pathlib import Path

import pytest
from django.conf import settings

from domains.hosts.actions import do_add_host
from domains.libvirt import adapter
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain
from tests.libvirt_support import MiB, guest_with_disk, own_connection, own_dir_pool, remove_everything

PREFIX = "bkp-"


def backups_url(domain, backup_id=None, tail=""):
    return f"/api/v1/domains/{domain.uuid}/backups" + (f"/{backup_id}" if backup_id else "") + tail


def qcow2_volume(pool, name, capacity, compat="1.1"):
    compat_xml = f"<compat>{compat}</compat>" if compat else ""
    return pool.createXML(f"<volume><name>{name}</name><capacity>{capacity}</capacity><target><format type='qcow2'/>"
                          f"{compat_xml}</target></volume>", 0)


@pytest.fixture
def backup_guest(system_libvirtd, transactional_db, owner, tmp_path):
    """backup_guest(size_mib=64) -> {"host", "domain", "pool", "store", "disk", "conn", "prefix"}: the demo guest
    (shut off) bkp-<label>-guest on a qcow2 v3 volume of the dir pool bkp-<label>, and the empty dir pool
    bkp-<label>-store for backups; everything named bkp-<label> is removed afterwards, even when the test fails."""
    if not (Path(settings.DEMO_GUEST_DIR) / "vmlinuz").exists():
        pytest.fail(f"The demo guest is not built in {settings.DEMO_GUEST_DIR}: run "
                    "'bash scripts/build-demo-guest.sh'.")
    prefix = f"{PREFIX}{uuid.uuid4().hex[:8]}"
    conn = own_connection()
    host = do_add_host(owner, "system", "qemu:///system")
    tmp_path.chmod(0o755)

    def make(size_mib=64, compat="1.1"):
        pool = own_dir_pool(conn, tmp_path / prefix, prefix)
        store = own_dir_pool(conn, tmp_path / f"{prefix}-store", f"{prefix}-store")
        vol = qcow2_volume(pool, f"{prefix}-base.qcow2", size_mib * MiB, compat)
        conn.defineXML(guest_with_disk(f"{prefix}-guest", vol.path()))
        inventory.sync_host(host)
        return {"host": host, "domain": Domain.objects.get(host=host, name=f"{prefix}-guest"), "pool": pool,
                "store": store, "disk": vol.path(), "conn": conn, "prefix": prefix}

    try:
        yield make
    finally:
        adapter.forget_host(host.pk)
        remove_everything(conn, prefix)
        conn.close()
