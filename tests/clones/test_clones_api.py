"""POST /api/v1/domains/{uuid}/clone on the test driver: the clone's identity, disks and ownership, and every
refusal leaving libvirt and the database as they were."""

import pytest
from lxml import etree

from domains.access.models import AuditEntry, Grant
from domains.jobs.models import SUCCEEDED
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain
from tests.clones.conftest import clone_url, snapshot_of_world, volume_names
from tests.libvirt_support import wait_for_job


def clone(client, domain, name, disks=None):
    answer = client.post(clone_url(domain), {"name": name, **({"disks": disks} if disks is not None else {})},
                         format="json")
    return answer


def finished(answer):
    assert answer.status_code == 202, answer.json()
    job = wait_for_job(answer.json()["id"])
    assert job.state == SUCCEEDED, job.error
    return job


def definition(lab, name):
    return etree.fromstring(lab["conn"].lookupByName(name).XMLDesc(0).encode())


def test_it_clones_a_shut_off_domain_with_a_new_identity_and_a_copied_disk(lab, owner, api_as):
    job = finished(clone(api_as(owner), lab["stopped"], "copy1"))
    root = definition(lab, "copy1")
    new_uuid = root.findtext("uuid")
    assert new_uuid != str(lab["stopped"].uuid)
    assert root.findtext("sysinfo/system/entry[@name='uuid']") == new_uuid
    assert root.find("devices/interface/mac").get("address") != "52:54:00:12:34:56"
    graphics = root.find("devices/graphics")
    assert graphics.get("autoport") == "yes" and graphics.get("websocket") in (None, "-1")
    assert root.find("devices/serial/source").get("path").endswith("copy1-serial.log")
    vda = root.xpath("devices/disk[target/@dev='vda']/source/@file")[0]
    assert vda.endswith("/copy1-vda.img") and vda != lab["disk"]
    assert root.xpath("devices/disk[target/@dev='hdc']/source/@file")[0].endswith("/cd.iso")  # shared
    assert "clones/copy1-vda.img" in volume_names(lab["pool"])
    assert Domain.objects.filter(host=lab["host"], name="copy1", uuid=new_uuid).exists()
    assert job.result["domain"]["uuid"] == new_uuid
    intent = AuditEntry.objects.filter(action="domain.clone", outcome="started").get()
    assert AuditEntry.objects.filter(action="domain.clone", outcome="ok", pk__gt=intent.pk).exists()


def test_it_copies_a_disk_into_the_format_asked_for(lab, owner, api_as):
    # (Into another pool: the test driver looks the source up in the target pool, so that is a system test.)
    finished(clone(api_as(owner), lab["stopped"], "moved", [{"target": "vda", "format": "qcow2"}]))
    assert "clones/moved-vda.qcow2" in volume_names(lab["pool"])
    assert definition(lab, "moved").xpath("devices/disk[target/@dev='vda']/driver/@type") == ["qcow2"]


def test_a_linked_clone_is_a_qcow2_overlay_on_the_original_volume(lab, owner, api_as):
    finished(clone(api_as(owner), lab["stopped"], "thin", [{"target": "vda", "mode": "linked"}]))
    overlay = lab["pool"].storageVolLookupByName("thin-vda.qcow2")
    backing = etree.fromstring(overlay.XMLDesc(0).encode()).findtext("backingStore/path")
    assert backing == lab["disk"]


def test_the_cloner_owns_the_clone(lab, teammate, grant, define_role, api_as):
    grant(define_role("Cloner", ["define_domains", "host_resources", "storage_vol.create", "storage_vol.data_read",
                                 "storage_vol.data_write", "storage_pool.getattr"]), host=lab["host"])
    grant("Viewer", domain=lab["stopped"])
    finished(clone(api_as(teammate), lab["stopped"], "mine"))
    made = Domain.objects.get(host=lab["host"], name="mine")
    assert Grant.objects.filter(user=teammate, domain=made, role__name="Administrator").exists()


@pytest.mark.parametrize("case", ["running", "share_writable", "name_taken", "no_pool", "bad_name", "no_disk"])
def test_it_refuses_a_clone_it_cannot_make_and_changes_nothing(lab, owner, api_as, case):
    domain, name, disks = lab["stopped"], "refused", None
    if case == "running":
        domain = lab["running"]
    elif case == "share_writable":
        disks = [{"target": "vda", "mode": "share"}]
    elif case == "name_taken":
        name = "busy"
    elif case == "no_pool":
        disks = [{"target": "vda", "pool": "nowhere"}]
    elif case == "bad_name":
        name = "../evil"
    elif case == "no_disk":
        disks = [{"target": "vdz"}]
    before = snapshot_of_world(lab)
    answer = clone(api_as(owner), domain, name, disks)
    expected = {"running": (409, "source_running"), "share_writable": (409, "share_refused"),
                "name_taken": (409, "name_taken"), "no_pool": (400, "no_pool"), "bad_name": (400, "invalid_clone"),
                "no_disk": (400, "invalid_clone")}[case]
    assert (answer.status_code, answer.json()["code"]) == expected, answer.json()
    assert snapshot_of_world(lab) == before
    assert AuditEntry.objects.filter(action="domain.clone", outcome__startswith="refused").exists()
    if case == "running":
        assert "shut down busy first" in answer.json()["message"].lower()


def test_it_refuses_a_cloner_without_a_grant_to_define_domains_and_changes_nothing(lab, teammate, grant, api_as):
    grant("Power user", domain=lab["stopped"])
    before = snapshot_of_world(lab)
    answer = clone(api_as(teammate), lab["stopped"], "nope")
    assert answer.status_code == 403, answer.json()
    assert "define_domains" in answer.json()["message"]
    assert snapshot_of_world(lab) == before


def test_it_refuses_a_copy_into_a_pool_the_cloner_may_not_write(lab, teammate, grant, define_role, api_as):
    grant(define_role("Definer", ["define_domains", "host_resources"]), host=lab["host"])
    grant("Viewer", domain=lab["stopped"])
    before = snapshot_of_world(lab)
    answer = clone(api_as(teammate), lab["stopped"], "nope")
    assert answer.status_code in (400, 403), answer.json()
    assert snapshot_of_world(lab) == before


def test_an_outsider_does_not_see_the_domain_to_clone(lab, outsider, api_as):
    before = snapshot_of_world(lab)
    assert clone(api_as(outsider), lab["stopped"], "nope").status_code == 404
    assert snapshot_of_world(lab) == before


UEFI_DOMAIN = """<domain type='test'>
  <name>uefi</name>
  <memory>65536</memory>
  <vcpu>1</vcpu>
  <genid>43dc0cf8-809b-4adb-9bea-a9abb5f3d90d</genid>
  <os><type>hvm</type><loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader>
    <nvram>{nvram}</nvram></os>
  <devices>
    <serial type='pty'><log file='/var/log/uefi-serial0.log'/><target port='0'/></serial>
  </devices>
</domain>"""


def test_it_copies_the_nvram_held_by_a_pool_and_renames_the_serial_log(lab, owner, api_as):
    nvram = lab["pool"].createXML("<volume><name>uefi_VARS.fd</name><capacity>131072</capacity>"
                                  "<target><format type='raw'/></target></volume>", 0)
    lab["conn"].defineXML(UEFI_DOMAIN.format(nvram=nvram.path()))
    inventory.sync_host(lab["host"])
    job = finished(clone(api_as(owner), Domain.objects.get(host=lab["host"], name="uefi"), "uefi2"))
    root = definition(lab, "uefi2")
    assert root.findtext("os/nvram").endswith("/uefi2_VARS.fd")
    assert "clones/uefi2_VARS.fd" in volume_names(lab["pool"])
    assert root.find("devices/serial/log").get("file") == "/var/log/uefi2-serial0.log"
    assert root.findtext("genid") != "43dc0cf8-809b-4adb-9bea-a9abb5f3d90d"
    assert job.result["nvram"].endswith("/uefi2_VARS.fd")


def test_an_nvram_in_no_pool_is_made_fresh_and_the_result_says_so(lab, owner, api_as):
    lab["conn"].defineXML(UEFI_DOMAIN.format(nvram="/var/lib/libvirt/qemu/nvram/uefi_VARS.fd"))
    inventory.sync_host(lab["host"])
    job = finished(clone(api_as(owner), Domain.objects.get(host=lab["host"], name="uefi"), "uefi3"))
    assert job.result["nvram"] is None
    assert any("NVRAM" in note for note in job.result["notes"])
    assert definition(lab, "uefi3").findtext("os/nvram") != "/var/lib/libvirt/qemu/nvram/uefi_VARS.fd"


def test_it_refuses_a_linked_clone_of_a_domain_with_snapshots_and_changes_nothing(lab, owner, api_as):
    lab["conn"].lookupByName("source").snapshotCreateXML("<domainsnapshot><name>s1</name></domainsnapshot>", 0)
    before = snapshot_of_world(lab)
    answer = clone(api_as(owner), lab["stopped"], "thin", [{"target": "vda", "mode": "linked"}])
    assert (answer.status_code, answer.json()["code"]) == (409, "linked_refused"), answer.json()
    assert snapshot_of_world(lab) == before
