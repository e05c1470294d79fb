"""Backups of the demo guest on a qcow2 v3 volume of the system libvirtd: full then incremental, the incremental's
image holding only the changed blocks, its restore into a new domain booting with the newer marker; restore over
the shut-off domain; cancel leaving nothing; every refusal leaving libvirt and the database as they were.

The guest cannot write to its disk itself (no block driver in its initramfs): QEMU writes and reads the markers
through the guest's own virtio-blk device (tests/snapshots/test_snapshots_system.py explains how).
"""

import json
import subprocess

import libvirt
import pytest

from domains.backups import images
from domains.backups.models import Backup
from domains.jobs.models import CANCELLED, SUCCEEDED, Job
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain
from tests.backups.conftest import backups_url
from tests.conftest import drain_event_workers, wait_for
from tests.snapshots.test_snapshots_system import holds_marker, qemu_io, write_marker
from tests.libvirt_support import MiB, wait_for_job

pytestmark = [pytest.mark.system]


def started(guest, name=None):
    dom = guest["conn"].lookupByName(name or guest["domain"].name)
    dom.create()
    wait_for(lambda: dom.state()[0] == libvirt.VIR_DOMAIN_RUNNING, timeout=60)
    return dom


def run(answer, timeout=300):
    assert answer.status_code == 202, answer.json()
    job = wait_for_job(answer.json()["id"], timeout=timeout)
    assert job.state == SUCCEEDED, job.error
    return job


def store_volumes(guest):
    guest["store"].refresh(0)
    return sorted(vol.name() for vol in guest["store"].listAllVolumes(0))


def checkpoints(dom):
    return sorted(point.getName() for point in dom.listAllCheckpoints(0))


def state_of(guest, dom):
    """What a refusal must leave alone: the checkpoints, the backup pool, the domains, the console's rows."""
    drain_event_workers()
    return (checkpoints(dom), store_volumes(guest), sorted(d.name() for d in guest["conn"].listAllDomains(0)),
            Backup.objects.count(), Job.objects.count())


def refused(client, method, url, body, status, code):
    answer = getattr(client, method)(url, body, format="json")
    assert (answer.status_code, answer.json()["code"]) == (status, code), answer.json()
    return answer.json()["message"]


def test_an_incremental_backup_holds_only_the_changed_blocks_and_its_restore_boots_with_the_marker(
        api_as, owner, backup_guest):
    guest = backup_guest()
    client, domain, store = api_as(owner), guest["domain"], guest["store"].name()
    dom = started(guest)
    qemu_io(dom, "write -P 0x41 0 16M")  # 16 MiB of data the full backup copies
    run(client.post(backups_url(domain), {"kind": "full", "pool": store}, format="json"))
    write_marker(dom, 0x42, 0)  # one 4 KiB block changes
    run(client.post(backups_url(domain), {"kind": "incremental", "pool": store}, format="json"))

    full, incremental = client.get(backups_url(domain)).json()
    assert (full["kind"], incremental["kind"], incremental["parent"], full["children"]) == (
        "full", "incremental", full["id"], [incremental["id"]])
    assert checkpoints(dom) == sorted([full["checkpoint"], incremental["checkpoint"]])
    full_data = images.allocated_bytes(full["volumes"][0]["path"])
    changed = images.allocated_bytes(incremental["volumes"][0]["path"])
    assert full_data >= 16 * MiB
    assert changed <= 256 * 1024, changed  # the changed block in one or two 64 KiB clusters
    assert incremental["size"] < full["size"] / 10

    new_name = f"{guest['prefix']}-restored"
    job = run(client.post(backups_url(domain, incremental["id"], "/restore"),
                          {"mode": "new", "pool": store, "name": new_name}, format="json"))
    restored_path = job.result["volumes"][0]["path"]
    info = json.loads(subprocess.run(["qemu-img", "info", "--output=json", restored_path], capture_output=True,
                                     text=True, check=True).stdout)
    assert "backing-filename" not in info, info  # standalone: the chain was copied, not linked
    inventory.sync_host(guest["host"])
    restored = Domain.objects.get(host=guest["host"], name=new_name)
    assert restored.uuid != domain.uuid
    new_dom = started(guest, new_name)
    assert holds_marker(new_dom, 0x42, 0)  # the incremental's block
    assert holds_marker(new_dom, 0x41, 8192)  # the full backup's data beneath it
    assert holds_marker(dom, 0x42, 0)  # the original runs on, untouched


def test_a_restore_over_the_shut_off_domain_brings_the_backup_back_and_a_running_one_is_refused(
        api_as, owner, backup_guest):
    guest = backup_guest()
    client, domain, store = api_as(owner), guest["domain"], guest["store"].name()
    dom = started(guest)
    write_marker(dom, 0x41, 0)
    backup_id = run(client.post(backups_url(domain), {"kind": "full", "pool": store}, format="json")).result["backup"]
    write_marker(dom, 0x42, 0)

    before = state_of(guest, dom)
    message = refused(client, "post", backups_url(domain, backup_id, "/restore"), {"mode": "over", "pool": store},
                      409, "domain_running")
    assert "shut it down" in message.lower()
    assert state_of(guest, dom) == before

    dom.destroy()
    job = run(client.post(backups_url(domain, backup_id, "/restore"), {"mode": "over", "pool": store},
                          format="json"))
    assert job.result["kept"] == [{"disk": "vda", "path": guest["disk"]}]
    assert checkpoints(dom) == []  # the restored disk holds no bitmap: the next backup is a full one
    dom = started(guest)
    assert holds_marker(dom, 0x41, 0)
    refused(client, "post", backups_url(domain), {"kind": "incremental", "pool": store}, 409, "checkpoint_missing")


@pytest.mark.parametrize("early", [True, False], ids=["at-once", "midway"])
def test_a_cancelled_backup_leaves_no_volume_checkpoint_or_row(api_as, owner, backup_guest, early):
    guest = backup_guest(size_mib=2048)
    client, domain, store = api_as(owner), guest["domain"], guest["store"].name()
    dom = started(guest)
    qemu_io(dom, "write -P 0x41 0 1G")
    answer = client.post(backups_url(domain), {"kind": "full", "pool": store}, format="json")
    assert answer.status_code == 202, answer.json()
    job_id = answer.json()["id"]
    if not early:
        wait_for(lambda: Job.objects.get(pk=job_id).done > 0, timeout=60, interval=0.05)
    assert client.post(f"/api/v1/jobs/{job_id}/cancel").status_code in (200, 202)
    assert wait_for_job(job_id).state == CANCELLED
    assert (checkpoints(dom), store_volumes(guest), Backup.objects.count()) == ([], [], 0)
    assert libvirt_job_over(dom)


def libvirt_job_over(dom):
    return dom.jobStats(0).get("type", 0) == libvirt.VIR_DOMAIN_JOB_NONE


def test_a_backup_later_incrementals_build_on_is_deleted_only_with_its_chain(api_as, owner, backup_guest):
    guest = backup_guest()
    client, domain, store = api_as(owner), guest["domain"], guest["store"].name()
    dom = started(guest)
    first = run(client.post(backups_url(domain), {"kind": "full", "pool": store}, format="json")).result["backup"]
    run(client.post(backups_url(domain), {"kind": "incremental", "pool": store}, format="json"))

    before = state_of(guest, dom)
    message = refused(client, "delete", backups_url(domain, first), None, 409, "backup_has_dependents")
    assert "chain=true" in message
    assert state_of(guest, dom) == before

    assert client.delete(backups_url(domain, first) + "?chain=true").status_code == 204
    assert (checkpoints(dom), store_volumes(guest), Backup.objects.count()) == ([], [], 0)


def test_each_backup_refusal_changes_nothing(api_as, owner, teammate, grant, backup_guest):
    guest = backup_guest()
    client, domain, store = api_as(owner), guest["domain"], guest["store"].name()
    dom = guest["conn"].lookupByName(domain.name)
    before = state_of(guest, dom)
    refused(client, "post", backups_url(domain), {"kind": "full", "pool": store}, 409, "domain_not_running")
    dom = started(guest)
    before = state_of(guest, dom)
    refused(client, "post", backups_url(domain), {"kind": "incremental", "pool": store}, 409, "no_full_backup")
    refused(client, "post", backups_url(domain), {"kind": "full", "pool": "no-such-pool"}, 404, "not_found")
    refused(client, "post", backups_url(domain), {"kind": "weekly", "pool": store}, 400, "invalid_backup")
    grant("Operator", to=teammate, domain=domain)  # sees the domain, holds no checkpoint
    refused(api_as(teammate), "post", backups_url(domain), {"kind": "full", "pool": store}, 403, "permission_denied")
    assert state_of(guest, dom) == before


def test_a_qcow2_v2_disk_is_refused_with_the_way_to_upgrade_it(api_as, owner, backup_guest):
    guest = backup_guest(compat=None)  # libvirt makes qcow2 volumes v2 (compat 0.10) unless told otherwise
    client, domain, store = api_as(owner), guest["domain"], guest["store"].name()
    dom = started(guest)
    before = state_of(guest, dom)
    message = refused(client, "post", backups_url(domain), {"kind": "full", "pool": store}, 409, "disk_unsupported")
    assert "qemu-img amend -o compat=1.1" in message
    assert state_of(guest, dom) == before
