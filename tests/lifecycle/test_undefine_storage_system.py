"""On the system libvirtd, with real qcow2 files: undefine with storage leaves nothing of the domain (its disk, its
external snapshots' overlays), a linked clone's base stays with the reason, a snapshot whose overlay another volume
stands on is not deleted, and a linked clone's base does not start; each refusal with nothing changed."""

import uuid
from pathlib import Path

import libvirt
import pytest
from django.conf import settings

from domains.hosts.actions import do_add_host
from domains.libvirt import adapter
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain
from domains.snapshots import commit
from tests.libvirt_support import MiB, guest_with_disk, own_connection, remove_everything

pytestmark = [pytest.mark.system]


@pytest.fixture
def guest(system_libvirtd, transactional_db, owner, tmp_path):
    """{"host", "conn", "pool", "dir", "dom", "domain", "prefix"}: the demo guest (shut off) named <prefix>-guest on
    the qcow2 volume base.qcow2 of the dir pool <prefix>; everything named <prefix> is removed afterwards."""
    if not (Path(settings.DEMO_GUEST_DIR) / "vmlinuz").exists():
        pytest.fail(f"The demo guest is not built in {settings.DEMO_GUEST_DIR}: run 'bash scripts/build-demo-guest.sh'.")
    prefix = f"overlays-{uuid.uuid4().hex[:8]}"
    conn = own_connection()
    host = do_add_host(owner, "system", "qemu:///system")
    directory = tmp_path / prefix
    directory.mkdir()
    directory.chmod(0o755)
    try:
        pool = conn.storagePoolDefineXML(f"<pool type='dir'><name>{prefix}</name><target><path>{directory}</path>"
                                         "</target></pool>")
        pool.create()
        base = pool.createXML(f"<volume><name>base.qcow2</name><capacity>{64 * MiB}</capacity>"
                              "<target><format type='qcow2'/></target></volume>", 0)
        dom = conn.defineXML(guest_with_disk(f"{prefix}-guest", base.path()))
        inventory.sync_host(host)
        yield {"host": host, "conn": conn, "pool": pool, "dir": directory, "dom": dom, "prefix": prefix,
               "domain": Domain.objects.get(host=host, name=f"{prefix}-guest"), "base": base.path()}
    finally:
        adapter.forget_host(host.pk)
        remove_everything(conn, prefix)
        conn.close()


def external_snapshot(guest, name):
    """A disk-only external snapshot of the shut-off guest, its overlay <name>.qcow2 in the pool's directory."""
    overlay = guest["dir"] / f"{name}.qcow2"
    guest["dom"].snapshotCreateXML(
        f"<domainsnapshot><name>{name}</name><disks><disk name='vda' snapshot='external'><source file='{overlay}'/>"
        "</disk></disks></domainsnapshot>", libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY)
    guest["pool"].refresh(0)
    return str(overlay)


def linked_volume(guest, name, backing):
    return guest["pool"].createXML(
        f"<volume><name>{name}</name><capacity>{64 * MiB}</capacity><target><format type='qcow2'/></target>"
        f"<backingStore><path>{backing}</path><format type='qcow2'/></backingStore></volume>", 0)


def files(guest):
    guest["pool"].refresh(0)
    return sorted(vol.name() for vol in guest["pool"].listAllVolumes(0))


def world(guest):
    names = sorted(dom.name() for dom in guest["conn"].listAllDomains(0) if dom.name().startswith(guest["prefix"]))
    snaps = sorted(snap.getName() for snap in guest["dom"].listAllSnapshots(0))
    return names, snaps, files(guest), guest["dom"].isActive(), sorted(p.name for p in guest["dir"].iterdir())


def undefine(api, domain, **extra):
    return api.post(f"/api/v1/domains/{domain.uuid}/actions",
                    {"action": "undefine", "confirm_name": domain.name, **extra}, format="json")


def test_undefine_with_storage_removes_the_overlays_and_the_disk_and_leaves_nothing(api_as, owner, guest):
    external_snapshot(guest, "first")
    external_snapshot(guest, "second")
    assert files(guest) == ["base.qcow2", "first.qcow2", "second.qcow2"]

    answer = undefine(api_as(owner), guest["domain"], remove_storage=True)

    assert answer.status_code == 200, answer.json()
    deleted = [v["volume"] for v in answer.json()["storage"]["deleted"]]
    assert deleted == ["second.qcow2", "first.qcow2", "base.qcow2"]
    assert answer.json()["storage"]["kept"] == []
    assert files(guest) == [] and list(guest["dir"].iterdir()) == []
    assert not [dom for dom in guest["conn"].listAllDomains(0) if dom.name().startswith(guest["prefix"])]


def test_undefine_with_storage_keeps_a_linked_clones_base_and_says_why(api_as, owner, guest):
    clone_disk = linked_volume(guest, "clone.qcow2", guest["base"])
    guest["conn"].defineXML(guest_with_disk(f"{guest['prefix']}-clone", clone_disk.path()))

    answer = undefine(api_as(owner), guest["domain"], remove_storage=True)

    assert answer.status_code == 200, answer.json()
    kept = answer.json()["storage"]["kept"]
    assert [(v["volume"], v["reason"]) for v in kept] == [
        ("base.qcow2", f"the backing file of '{guest['prefix']}/clone.qcow2' (used by '{guest['prefix']}-clone')")]
    assert "Kept" in answer.json()["message"]
    assert files(guest) == ["base.qcow2", "clone.qcow2"]
    assert guest["conn"].lookupByName(f"{guest['prefix']}-clone").isPersistent()


def test_it_refuses_to_delete_a_snapshot_whose_overlay_another_volume_stands_on(api_as, owner, guest):
    overlay = external_snapshot(guest, "first")
    linked_volume(guest, "fork.qcow2", overlay)
    before = world(guest)

    answer = api_as(owner).delete(f"/api/v1/domains/{guest['domain'].uuid}/snapshots/first")

    assert answer.status_code == 409 and answer.json()["code"] == "overlay_in_use", answer.json()
    assert f"'{guest['prefix']}/fork.qcow2'" in answer.json()["message"]
    assert world(guest) == before


def test_delete_overlay_keeps_a_file_another_volume_stands_on_and_says_why(guest):
    overlay = external_snapshot(guest, "first")
    linked_volume(guest, "fork.qcow2", overlay)

    reason = commit.delete_overlay(guest["domain"], overlay)

    assert reason and "backing file of" in reason and "fork.qcow2" in reason
    assert "first.qcow2" in files(guest)


def test_it_refuses_to_start_a_linked_clones_base_with_nothing_changed(api_as, owner, guest):
    linked_volume(guest, "clone.qcow2", guest["base"])
    before = world(guest)

    answer = api_as(owner).post(f"/api/v1/domains/{guest['domain'].uuid}/actions", {"action": "start"},
                                format="json")

    assert answer.status_code == 409 and answer.json()["code"] == "base_of_linked_clone", answer.json()
    assert f"'{guest['prefix']}/clone.qcow2'" in answer.json()["message"]
    assert world(guest) == before


def test_it_refuses_to_delete_a_snapshot_whose_commit_would_write_into_a_linked_clones_base(api_as, owner, guest):
    linked_volume(guest, "clone.qcow2", guest["base"])
    external_snapshot(guest, "first")
    before = world(guest)

    answer = api_as(owner).delete(f"/api/v1/domains/{guest['domain'].uuid}/snapshots/first")

    assert answer.status_code == 409 and answer.json()["code"] == "base_in_use", answer.json()
    assert world(guest) == before
