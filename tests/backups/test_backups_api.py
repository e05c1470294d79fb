"""A domain's backups through API v1 on the test driver: the list, who may do what, the refusals made before
libvirt is asked (nothing changed), retention-safe delete, and the definition a restore makes."""

import pytest
from lxml import etree

from domains.access.models import AuditEntry
from domains.backups.models import COMPLETE, Backup
from domains.backups.restore import restored_xml
from domains.jobs.models import Job
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain
from tests.backups.conftest import backups_url


@pytest.fixture
def domain(transactional_db, make_test_host):
    host = make_test_host("backups", domains=1, running=(0,))
    inventory.sync_host(host)
    return Domain.objects.get(host=host, name="vm0000")


def chain_of_two(domain):
    disks = [{"disk": "vda", "pool": "store", "volume": "v", "path": "/nowhere/v.qcow2", "capacity": 1, "allocation": 1}]
    full = Backup.objects.create(domain=domain, kind="full", checkpoint="c1", disks=disks, state=COMPLETE, size=10)
    later = Backup.objects.create(domain=domain, kind="incremental", parent=full, checkpoint="c2", disks=disks,
                                  state=COMPLETE, size=1)
    return full, later


def test_it_lists_a_domains_backups_oldest_first_with_their_chain(api_as, owner, domain):
    assert api_as(owner).get(backups_url(domain)).json() == []
    full, later = chain_of_two(domain)
    listed = api_as(owner).get(backups_url(domain)).json()
    assert [(b["id"], b["kind"], b["parent"], b["children"]) for b in listed] == [
        (full.pk, "full", None, [later.pk]), (later.pk, "incremental", full.pk, [])]
    assert api_as(owner).get(backups_url(domain, later.pk)).json()["volumes"][0]["disk"] == "vda"


def test_it_hides_backups_from_an_outsider_and_refuses_a_viewer(api_as, outsider, teammate, grant, domain):
    assert api_as(outsider).get(backups_url(domain)).status_code == 404
    grant("Viewer", to=teammate, domain=domain)
    answer = api_as(teammate).post(backups_url(domain), {"kind": "full", "pool": "store"}, format="json")
    assert (answer.status_code, answer.json()["code"]) == (403, "permission_denied")
    assert answer.json()["fields"]["permission"] == "checkpoint"
    assert AuditEntry.objects.filter(action="domain.backup_create", outcome="denied").count() == 1
    assert Job.objects.count() == 0 and Backup.objects.count() == 0


def test_it_refuses_an_unknown_kind_or_backup_with_nothing_changed(api_as, owner, domain):
    client = api_as(owner)
    answer = client.post(backups_url(domain), {"kind": "weekly", "pool": "store"}, format="json")
    assert (answer.status_code, answer.json()["code"]) == (400, "invalid_backup")
    for method, url, body in [("get", backups_url(domain, 999), None), ("delete", backups_url(domain, 999), None),
                              ("post", backups_url(domain, 999, "/restore"), {"pool": "store", "name": "x"})]:
        answer = getattr(client, method)(url, body, format="json")
        assert (answer.status_code, answer.json()["code"]) == (404, "no_backup"), (method, url)
    assert Job.objects.count() == 0 and Backup.objects.count() == 0


def test_it_refuses_to_delete_a_backup_a_later_incremental_builds_on(api_as, owner, domain):
    full, later = chain_of_two(domain)
    answer = api_as(owner).delete(backups_url(domain, full.pk))
    assert (answer.status_code, answer.json()["code"]) == (409, "backup_has_dependents")
    assert str(later.pk) in answer.json()["message"] and "chain=true" in answer.json()["message"]
    assert Backup.objects.count() == 2
    assert AuditEntry.objects.filter(action="domain.backup_delete", outcome__startswith="refused").count() == 1


def test_a_restored_definition_has_the_new_name_no_uuid_no_macs_and_the_restored_disks():
    xml = ("<domain type='kvm'><name>old</name><uuid>6d1f5c0e-8a5e-4cbb-9f77-6f0f4b8d3a11</uuid><devices>"
           "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/a/old.qcow2'/>"
           "<backingStore type='file'><source file='/a/base.qcow2'/></backingStore><target dev='vda'/></disk>"
           "<disk type='file' device='cdrom'><source file='/iso/x.iso'/><target dev='hdc'/></disk>"
           "<interface type='network'><mac address='52:54:00:00:00:01'/><source network='default'/></interface>"
           "<graphics type='vnc' port='5901' autoport='no'/></devices></domain>")
    root = etree.fromstring(restored_xml(xml, {"vda": "/b/new-vda.qcow2"}, "new").encode())
    assert root.findtext("name") == "new" and root.find("uuid") is None
    assert root.find("devices/interface/mac") is None
    disk, cdrom = root.findall("devices/disk")
    assert disk.find("source").get("file") == "/b/new-vda.qcow2" and disk.find("backingStore") is None
    assert cdrom.find("source").get("file") == "/iso/x.iso"
    assert root.find("devices/graphics").get("autoport") == "yes" and root.find("devices/graphics").get("port") is None
