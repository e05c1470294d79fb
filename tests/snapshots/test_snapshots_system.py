"""Snapshots of the demo guest on a qcow2 volume of the system libvirtd: internal with memory and revert, an
external chain deleted from the middle and from the top, and every refusal leaving libvirt and the database as
they were.

The demo guest's initramfs has no block driver, so the guest itself cannot write to its disk: QEMU writes and
reads the markers for it, through the guest's own virtio-blk device (HMP qemu-io through the monitor; QEMU
prints the answer to the domain's log), which reaches the same image layer a guest write would.
"""

from pathlib import Path

import libvirt
import libvirt_qemu
import pytest

from domains.definitions.models import DefinitionRevision
from domains.jobs.models import SUCCEEDED, Job
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain
from tests.conftest import drain_event_workers, wait_for
from tests.snapshots.conftest import libvirt_names, snapshots_url
from tests.libvirt_support import MiB, guest_with_disk, wait_for_job

pytestmark = [pytest.mark.system]

# vda (qdev id virtio-disk0): qemu-io -d writes through the guest's own virtio-blk device, its top layer
DISK = "/machine/peripheral/virtio-disk0/virtio-backend"
KiB4 = 4096


def qemu_io(dom, command):
    """Run a qemu-io command in the guest's QEMU; its answer, which QEMU prints to the domain's log, not the monitor."""
    log = Path(f"/var/log/libvirt/qemu/{dom.name()}.log")
    start = log.stat().st_size
    libvirt_qemu.qemuMonitorCommand(dom, f'qemu-io -d {DISK} "{command}"',
                                    libvirt_qemu.VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP)

    def answer():
        with log.open("rb") as text:
            text.seek(start)
            written = text.read().decode(errors="replace")
        return written if "ops/sec" in written else None

    return wait_for(answer, timeout=30)


def write_marker(dom, byte, offset):
    answer = qemu_io(dom, f"write -P {byte:#x} {offset} {KiB4}")
    assert f"wrote {KiB4}/{KiB4} bytes at offset {offset}" in answer, answer


def holds_marker(dom, byte, offset):
    answer = qemu_io(dom, f"read -P {byte:#x} {offset} {KiB4}")
    assert f"read {KiB4}/{KiB4} bytes at offset {offset}" in answer, answer
    return "Pattern verification failed" not in answer


def started(guest):
    dom = guest["conn"].lookupByName(guest["domain"].name)
    dom.create()
    wait_for(lambda: dom.state()[0] == libvirt.VIR_DOMAIN_RUNNING, timeout=60)
    return dom


def run(answer):
    assert answer.status_code == 202, answer.json()
    job = wait_for_job(answer.json()["id"], timeout=300)
    assert job.state == SUCCEEDED, job.error
    return job


def chain(dom):
    """The files of vda, newest first, as the running domain has them."""
    from domains.snapshots.commit import chain_of

    return chain_of(dom, "vda")


def volumes(guest):
    guest["pool"].refresh(0)
    return sorted(vol.name() for vol in guest["pool"].listAllVolumes(0))


def state_of(guest, dom):
    """What a refusal must leave alone: libvirt's snapshots, the disk's chain, the pool, the console's rows."""
    domain = guest["domain"]
    drain_event_workers()  # a definition libvirt reported meanwhile is recorded before counting revisions
    return (libvirt_names(domain), chain(dom) if dom.isActive() else None, volumes(guest),
            DefinitionRevision.objects.filter(domain=domain).count(), Job.objects.count())


def refused(client, method, url, body, status, code):
    answer = getattr(client, method)(url, body, format="json")
    assert (answer.status_code, answer.json()["code"]) == (status, code), answer.json()
    return answer.json()["message"]


def test_an_internal_snapshot_of_the_running_guest_brings_the_old_marker_back(api_as, owner, guest):
    client, domain = api_as(owner), guest["domain"]
    dom = started(guest)
    write_marker(dom, 0x41, 0)
    run(client.post(snapshots_url(domain), {"name": "one", "description": "marker A"}, format="json"))
    write_marker(dom, 0x42, 0)
    assert holds_marker(dom, 0x42, 0)

    shown = client.get(snapshots_url(domain)).json()
    assert [(s["name"], s["kind"], s["state"], s["current"]) for s in shown["snapshots"]] == [
        ("one", "internal", "running", True)]
    # An external one now would mix kinds in one chain: refused, nothing changed.
    before = state_of(guest, dom)
    message = refused(client, "post", snapshots_url(domain), {"name": "two", "kind": "external_disk_only"}, 409,
                      "snapshot_kind_refused")
    assert "has internal snapshots" in message
    assert state_of(guest, dom) == before

    run(client.post(snapshots_url(domain, "one", "/revert"), {"state": "running"}, format="json"))
    assert dom.state()[0] == libvirt.VIR_DOMAIN_RUNNING
    assert holds_marker(dom, 0x41, 0) and not holds_marker(dom, 0x42, 0)

    run(client.delete(snapshots_url(domain, "one")))
    assert libvirt_names(domain) == []


def test_an_external_chain_deleted_from_the_middle_and_the_top_keeps_every_layers_data(api_as, owner, guest):
    client, domain, prefix = api_as(owner), guest["domain"], guest["prefix"]
    dom = started(guest)
    base = guest["disk"]
    write_marker(dom, 0x41, 0)
    run(client.post(snapshots_url(domain), {"name": "s1", "kind": "external_disk_only"}, format="json"))
    write_marker(dom, 0x42, KiB4)
    run(client.post(snapshots_url(domain), {"name": "s2", "kind": "external_disk_only"}, format="json"))
    write_marker(dom, 0x43, 2 * KiB4)

    overlay1, overlay2 = (f"{prefix}-guest-vda-{name}.qcow2" for name in ("s1", "s2"))
    assert volumes(guest) == sorted([f"{prefix}-base.qcow2", overlay1, overlay2])
    directory = base.rsplit("/", 1)[0]
    assert chain(dom) == [f"{directory}/{overlay2}", f"{directory}/{overlay1}", base]
    shown = client.get(snapshots_url(domain)).json()
    assert shown["tree"] == [{"name": "s1", "children": [{"name": "s2", "children": []}]}]
    first = shown["snapshots"][0]
    assert first["kind"] == "external_disk_only"
    assert [(o["disk"], o["pool"], o["volume"]) for o in first["overlays"]] == [("vda", prefix, overlay1)]
    assert first["overlays"][0]["allocation"] > 0
    offered = {offer["kind"]: offer for offer in shown["offers"]}
    assert offered["internal"]["allowed"] is False and "external snapshots" in offered["internal"]["reason"]

    # Refusals, each leaving libvirt and the database as they were.
    before = state_of(guest, dom)
    refused(client, "post", snapshots_url(domain), {"name": "in", "kind": "internal"}, 409, "snapshot_kind_refused")
    message = refused(client, "post", snapshots_url(domain, "s2", "/revert"), {}, 409, "external_revert_unsupported")
    assert "9.0.0" in message and "9.9.0" in message
    refused(client, "post", snapshots_url(domain), {"name": "s1"}, 409, "snapshot_exists")
    refused(client, "post", snapshots_url(domain), {"name": "../s3", "kind": "external_disk_only"}, 400,
            "invalid_snapshot")
    assert state_of(guest, dom) == before

    # The middle one: its overlay is committed into the base, s2 keeps all it saw.
    job = run(client.delete(snapshots_url(domain, "s1")))
    assert job.result == {"deleted": ["s1"]} and job.unit == "bytes"
    assert chain(dom) == [f"{directory}/{overlay2}", base]
    assert volumes(guest) == sorted([f"{prefix}-base.qcow2", overlay2])
    assert holds_marker(dom, 0x41, 0) and holds_marker(dom, 0x42, KiB4) and holds_marker(dom, 0x43, 2 * KiB4)
    shown = client.get(snapshots_url(domain)).json()
    assert [(s["name"], s["parent"], s["current"]) for s in shown["snapshots"]] == [("s2", None, True)]
    # s2's saved definition names the base where it named the committed overlay.
    saved = dom.snapshotLookupByName("s2").getXMLDesc(0)
    assert overlay1 not in saved and f"file='{base}'" in saved

    # The top one: an active commit and a pivot; the domain runs on the base again, with every marker.
    run(client.delete(snapshots_url(domain, "s2")))
    assert chain(dom) == [base]
    assert volumes(guest) == [f"{prefix}-base.qcow2"]
    assert f"file='{base}'" in dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
    assert holds_marker(dom, 0x41, 0) and holds_marker(dom, 0x42, KiB4) and holds_marker(dom, 0x43, 2 * KiB4)
    assert libvirt_names(domain) == []


def test_it_refuses_to_delete_an_external_snapshot_of_a_shut_off_domain(api_as, owner, guest):
    client, domain = api_as(owner), guest["domain"]
    run(client.post(snapshots_url(domain), {"name": "cold", "kind": "external_disk_only"}, format="json"))
    dom = guest["conn"].lookupByName(domain.name)
    before = state_of(guest, dom)
    message = refused(client, "delete", snapshots_url(domain, "cold"), None, 409, "domain_not_running")
    assert "Start it" in message
    assert state_of(guest, dom) == before


def test_a_subtree_of_external_snapshots_goes_at_once_newest_first(api_as, owner, guest):
    client, domain, prefix = api_as(owner), guest["domain"], guest["prefix"]
    dom = started(guest)
    write_marker(dom, 0x41, 0)
    run(client.post(snapshots_url(domain), {"name": "a", "kind": "external_disk_only"}, format="json"))
    write_marker(dom, 0x42, KiB4)
    run(client.post(snapshots_url(domain), {"name": "b", "kind": "external_disk_only"}, format="json"))
    write_marker(dom, 0x43, 2 * KiB4)

    job = run(client.delete(snapshots_url(domain, "a") + "?children=true"))
    assert job.result == {"deleted": ["b", "a"]}
    assert chain(dom) == [guest["disk"]] and volumes(guest) == [f"{prefix}-base.qcow2"]
    assert holds_marker(dom, 0x41, 0) and holds_marker(dom, 0x42, KiB4) and holds_marker(dom, 0x43, 2 * KiB4)
    assert libvirt_names(domain) == []


def test_an_internal_snapshot_of_a_raw_disk_is_refused_with_the_reason(api_as, owner, guest):
    conn, prefix = guest["conn"], guest["prefix"]
    raw = guest["pool"].createXML(f"<volume><name>{prefix}-raw.img</name><capacity>{MiB}</capacity>"
                                  "<target><format type='raw'/></target></volume>", 0)
    xml = guest_with_disk(f"{prefix}-raw", raw.path()).replace("type='qcow2'", "type='raw'")
    conn.defineXML(xml)
    inventory.sync_host(guest["host"])
    domain = Domain.objects.get(host=guest["host"], name=f"{prefix}-raw")
    client = api_as(owner)
    offered = {o["kind"]: o for o in client.get(snapshots_url(domain)).json()["offers"]}
    assert offered["internal"]["allowed"] is False and "Disk vda is raw" in offered["internal"]["reason"]
    assert offered["external_disk_only"]["allowed"] is True
    dom = conn.lookupByName(domain.name)
    before = state_of({**guest, "domain": domain}, dom)
    message = refused(client, "post", snapshots_url(domain), {"name": "in"}, 409, "snapshot_kind_refused")
    assert "internal snapshots live inside qcow2 images" in message
    assert state_of({**guest, "domain": domain}, dom) == before


def test_an_external_snapshot_with_memory_saves_a_memory_volume_and_goes_with_it(api_as, owner, guest):
    client, domain, prefix = api_as(owner), guest["domain"], guest["prefix"]
    dom = started(guest)
    write_marker(dom, 0x41, 0)
    run(client.post(snapshots_url(domain), {"name": "m1", "kind": "external_with_memory"}, format="json"))
    write_marker(dom, 0x42, KiB4)
    memory, overlay = f"{prefix}-guest-m1.mem", f"{prefix}-guest-vda-m1.qcow2"
    assert volumes(guest) == sorted([f"{prefix}-base.qcow2", memory, overlay])
    shown = client.get(snapshots_url(domain, "m1")).json()
    assert shown["kind"] == "external_with_memory" and shown["state"] == "running"
    assert (shown["memory"]["pool"], shown["memory"]["volume"]) == (prefix, memory)
    assert shown["memory"]["allocation"] > 0
    assert dom.state()[0] == libvirt.VIR_DOMAIN_RUNNING  # paused only while its memory was written

    run(client.delete(snapshots_url(domain, "m1")))
    assert volumes(guest) == [f"{prefix}-base.qcow2"] and chain(dom) == [guest["disk"]]
    assert holds_marker(dom, 0x41, 0) and holds_marker(dom, 0x42, KiB4)
