"""Clones of the demo guest on the system libvirtd: a copy boots beside the original with its own identity and its
shell on its own serial file, a linked clone stands on the original's volume, and a refused or cancelled clone
leaves no volume, no domain and no row behind."""

import libvirt
import pytest
from lxml import etree

from domains.jobs.actions import do_cancel_job
from domains.jobs.models import CANCELLED, SUCCEEDED, Job
from domains.lifecycle.models import Domain
from tests.clones.conftest import clone_url, volume_names
from tests.conftest import wait_for
from tests.libvirt_support import MiB, wait_for_job

pytestmark = [pytest.mark.system]

PROMPT = "/ # "


def run(answer):
    assert answer.status_code == 202, answer.json()
    job = wait_for_job(answer.json()["id"], timeout=300)
    assert job.state == SUCCEEDED, job.error
    return job


def started(conn, name):
    dom = conn.lookupByName(name)
    dom.create()
    wait_for(lambda: dom.state()[0] == libvirt.VIR_DOMAIN_RUNNING, timeout=60)
    return dom


def shell_on(path):
    """Wait until the demo guest's shell prompted on the serial file path; True then."""
    return wait_for(lambda: path.exists() and PROMPT in path.read_text(errors="replace"), timeout=120, interval=0.5)


def live(dom):
    return etree.fromstring(dom.XMLDesc(0).encode())


def world(guest):
    """What a refused or cancelled clone must leave as it was: domains, volumes of both pools, rows, grants."""
    names = sorted(dom.name() for dom in guest["conn"].listAllDomains(0) if dom.name().startswith(guest["prefix"]))
    return names, volume_names(guest["pool"], guest["other"]), sorted(Domain.objects.values_list("name", flat=True))


def test_a_copied_clone_boots_beside_the_original_with_other_macs_uuid_and_serial_file(api_as, owner, system_guest):
    guest, conn = system_guest, system_guest["conn"]
    name = f"{guest['prefix']}-copy"
    job = run(api_as(owner).post(clone_url(guest["domain"]), {"name": name, "disks": [
        {"target": "vda", "mode": "copy", "pool": guest["other"].name(), "format": "raw"}]}, format="json"))
    assert job.result["domain"]["name"] == name
    assert job.done == job.total
    assert f"{guest['other'].name()}/{name}-vda.img" in volume_names(guest["other"])
    renamed = job.result["renamed_files"][0]
    assert renamed["from"] == str(guest["serial"]) and renamed["to"].endswith(f"{name}-serial.log")

    original, copy = started(conn, guest["domain"].name), started(conn, name)
    assert copy.UUIDString() != original.UUIDString()
    macs = [live(dom).find("devices/interface/mac").get("address") for dom in (original, copy)]
    assert macs[0] != macs[1]
    assert live(copy).xpath("devices/disk[target/@dev='vda']/source/@file")[0].startswith(
        guest["other"].XMLDesc(0).split("<path>")[1].split("</path>")[0])
    assert shell_on(guest["serial"]) and shell_on(guest["serial"].with_name(f"{name}-serial.log"))


def test_a_linked_clone_is_an_overlay_on_the_original_volume_and_boots(api_as, owner, system_guest):
    guest, conn = system_guest, system_guest["conn"]
    name = f"{guest['prefix']}-thin"
    run(api_as(owner).post(clone_url(guest["domain"]), {"name": name, "disks": [{"target": "vda",
                                                                                  "mode": "linked"}]},
                           format="json"))
    overlay = guest["pool"].storageVolLookupByName(f"{name}-vda.qcow2")
    assert etree.fromstring(overlay.XMLDesc(0).encode()).findtext("backingStore/path") == guest["disk"]
    copy = started(conn, name)
    assert live(copy).xpath("devices/disk[target/@dev='vda']/backingStore/source/@file") == [guest["disk"]]
    assert shell_on(guest["serial"].with_name(f"{name}-serial.log"))


def test_a_running_source_is_refused_with_the_reason_and_nothing_changes(api_as, owner, system_guest):
    guest = system_guest
    started(guest["conn"], guest["domain"].name)
    before, jobs = world(guest), Job.objects.count()
    answer = api_as(owner).post(clone_url(guest["domain"]), {"name": f"{guest['prefix']}-hot"}, format="json")
    assert (answer.status_code, answer.json()["code"]) == (409, "source_running"), answer.json()
    assert f"shut down {guest['domain'].name} first" in answer.json()["message"].lower()
    assert world(guest) == before and Job.objects.count() == jobs


def test_a_cancelled_clone_leaves_no_volume_and_no_domain(api_as, owner, system_guest):
    guest = system_guest
    # A disk with 256 MiB of data: its copy lasts long enough to be cancelled midway.
    path = guest["disk"].replace("-base.qcow2", "-data.img")
    with open(path, "wb") as data:
        for _ in range(256):
            data.write(bytes(range(256)) * 4096)
    guest["pool"].refresh(0)
    dom = guest["conn"].lookupByName(guest["domain"].name)
    xml = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE).replace(
        "<devices>", f"<devices><disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{path}'/>"
                     "<target dev='vdb' bus='virtio'/></disk>", 1)
    guest["conn"].defineXML(xml)
    before = world(guest)
    answer = api_as(owner).post(clone_url(guest["domain"]), {"name": f"{guest['prefix']}-gone"}, format="json")
    assert answer.status_code == 202, answer.json()
    do_cancel_job(owner, Job.objects.get(pk=answer.json()["id"]))
    job = wait_for_job(answer.json()["id"], timeout=300)
    assert job.state == CANCELLED, job.error
    assert world(guest) == before
    assert 256 * MiB <= sum(vol.info()[2] for vol in guest["pool"].listAllVolumes(0)) < 300 * MiB
