"""Cloning the demo guest from the first libvirtd onto the second (two real hosts of the same kind): its qcow2 disk
moved there by storage streams boots with another UUID and MAC, a conversion leaves only the converted volume, and a
cancelled clone leaves no volume and no domain there."""

import libvirt
import pytest
from lxml import etree

from domains.jobs.actions import do_cancel_job
from domains.jobs.models import CANCELLED, SUCCEEDED, Job
from domains.lifecycle.models import Domain
from tests.clones.conftest import volume_names
from tests.conftest import wait_for
from tests.libvirt_support import PRIVATE, SECOND_PRIVATE, MiB, wait_for_job

pytestmark = [pytest.mark.system, pytest.mark.two_hosts]

READY = "virtconsole demo guest ready"


def clone_there(client, lab, name, disks):
    return client.post(f"/api/v1/domains/{lab['domain'].uuid}/clone",
                       {"name": name, "host": lab["second"].pk, "disks": disks}, format="json")


def succeeded(answer):
    assert answer.status_code == 202, answer.json()
    job = wait_for_job(answer.json()["id"], timeout=300)
    assert job.state == SUCCEEDED, job.error
    return job


def definition(conn, name, flags=0):
    return etree.fromstring(conn.lookupByName(name).XMLDesc(flags).encode())


def volume_format(vol):
    return etree.fromstring(vol.XMLDesc(0).encode()).xpath("string(target/format/@type)")


def test_the_demo_guest_cloned_onto_the_second_host_boots_there_with_another_uuid_and_mac(two_hosts, owner, api_as):
    lab = two_hosts
    first_conn, second_conn = lab["conns"]
    name = f"{lab['prefix']}-far"
    job = succeeded(clone_there(api_as(owner), lab, name, [{"target": "vda", "mode": "copy"}]))
    assert job.result["domain"]["host"] == lab["second"].pk and job.done == job.total > 0

    copy = lab["far_pool"].storageVolLookupByName(f"{name}-vda.qcow2")
    assert volume_format(copy) == "qcow2" and copy.info()[1] == 64 * MiB
    assert f"{lab['prefix']}/{name}-vda.qcow2" in volume_names(lab["far_pool"])
    assert name not in [dom.name() for dom in first_conn.listAllDomains(0)]
    source, clone = definition(first_conn, lab["domain"].name), definition(second_conn, name)
    assert clone.findtext("uuid") != source.findtext("uuid")
    assert clone.find("devices/interface/mac").get("address") != source.find("devices/interface/mac").get("address")
    assert clone.xpath("devices/disk[target/@dev='vda']/source/@file") == [copy.path()]
    assert Domain.objects.filter(host=lab["second"], name=name, uuid=clone.findtext("uuid")).exists()

    second_conn.lookupByName(name).create()
    serial = lab["serial"].with_name(f"{name}-serial.log")
    assert wait_for(lambda: serial.exists() and READY in serial.read_text(errors="replace"), timeout=120,
                    interval=0.5)
    assert not lab["serial"].exists()  # the original never ran: the clone wrote its own file


def test_a_copy_converted_on_the_second_host_leaves_only_the_converted_volume(two_hosts, owner, api_as):
    lab = two_hosts
    name = f"{lab['prefix']}-raw"
    succeeded(clone_there(api_as(owner), lab, name, [{"target": "vda", "mode": "copy", "format": "raw"}]))
    assert volume_names(lab["far_pool"]) == [f"{lab['prefix']}/{name}-vda.img"]
    raw = lab["far_pool"].storageVolLookupByName(f"{name}-vda.img")
    assert volume_format(raw) == "raw" and raw.info()[1] == 64 * MiB
    assert definition(lab["conns"][1], name).xpath("devices/disk[target/@dev='vda']/driver/@type") == ["raw"]


def test_a_cancelled_clone_onto_the_second_host_leaves_no_volume_and_no_domain_there(two_hosts, owner, api_as):
    lab = two_hosts
    first_conn, second_conn = lab["conns"]
    # A disk with 256 MiB of data (no holes): its move lasts long enough to be cancelled midway.
    data = PRIVATE / lab["prefix"] / f"{lab['prefix']}-data.img"
    with open(data, "wb") as out:
        out.writelines(bytes(range(256)) * 4096 for _ in range(256))
    lab["pool"].refresh(0)
    xml = first_conn.lookupByName(lab["domain"].name).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE).replace(
        "<devices>", f"<devices><disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{data}'/>"
                     "<target dev='vdb' bus='virtio'/></disk>", 1)
    first_conn.defineXML(xml)
    rows = sorted(Domain.objects.values_list("name", flat=True))
    answer = clone_there(api_as(owner), lab, f"{lab['prefix']}-gone", [])
    assert answer.status_code == 202, answer.json()
    do_cancel_job(owner, Job.objects.get(pk=answer.json()["id"]))
    job = wait_for_job(answer.json()["id"], timeout=300)
    assert job.state == CANCELLED, job.error
    assert volume_names(lab["far_pool"]) == []
    assert not [dom.name() for dom in second_conn.listAllDomains(0) if dom.name().startswith(lab["prefix"])]
    assert sorted(Domain.objects.values_list("name", flat=True)) == rows


def test_an_empty_raw_disk_moves_as_holes_and_stays_sparse_on_the_second_host(two_hosts, owner, api_as):
    lab = two_hosts
    first_conn = lab["conns"][0]
    empty = lab["pool"].createXML(f"<volume><name>{lab['prefix']}-empty.img</name><capacity>{64 * MiB}</capacity>"
                                  "<allocation>0</allocation><target><format type='raw'/></target></volume>", 0)
    xml = first_conn.lookupByName(lab["domain"].name).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE).replace(
        "<devices>", f"<devices><disk type='file' device='disk'><driver name='qemu' type='raw'/>"
                     f"<source file='{empty.path()}'/><target dev='vdb' bus='virtio'/></disk>", 1)
    first_conn.defineXML(xml)
    name = f"{lab['prefix']}-thin"
    job = succeeded(clone_there(api_as(owner), lab, name, []))
    assert job.done == job.total >= 64 * MiB
    moved = lab["far_pool"].storageVolLookupByName(f"{name}-vdb.img")
    _kind, capacity, allocation = moved.info()
    # Without sparse streams the upload would have written 64 MiB of zeros there.
    assert capacity == 64 * MiB and allocation < 4 * MiB


def test_the_nvram_held_by_a_pool_is_copied_into_the_second_hosts_pool_of_that_name(two_hosts, owner, api_as):
    lab = two_hosts
    first_conn, second_conn = lab["conns"]
    variables = bytes(range(256)) * 512  # 128 KiB, as an OVMF variable store
    vars_file = PRIVATE / lab["prefix"] / f"{lab['domain'].name}_VARS.fd"
    vars_file.write_bytes(variables)
    lab["pool"].refresh(0)
    xml = first_conn.lookupByName(lab["domain"].name).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE).replace(
        "</os>", "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader>"
                 f"<nvram>{vars_file}</nvram></os>", 1)
    first_conn.defineXML(xml)  # not started: only its definition and files are cloned
    name = f"{lab['prefix']}-uefi"
    job = succeeded(clone_there(api_as(owner), lab, name, [{"target": "vda", "mode": "copy"}]))
    copied = lab["far_pool"].storageVolLookupByName(f"{name}_VARS.fd")
    assert job.result["nvram"] == copied.path() == str(PRIVATE / lab["prefix"] / f"{name}_VARS.fd")
    assert definition(second_conn, name).findtext("os/nvram") == copied.path()
    assert (SECOND_PRIVATE / lab["prefix"] / f"{name}_VARS.fd").read_bytes() == variables
