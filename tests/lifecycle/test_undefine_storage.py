"""Undefine with its storage, and the start of a linked clone's base, on a test:/// host with volumes in a pool: the
domain's own chain goes, whatever another domain or volume needs stays (named with its reason), and every refusal
leaves everything as it was."""

import pytest

from domains.access.models import AuditEntry
from domains.libvirt import adapter
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain
from tests.libvirt_support import MiB

pytestmark = pytest.mark.django_db

DOMAIN = """<domain type='test'>
  <name>{name}</name>
  <memory>65536</memory>
  <vcpu>1</vcpu>
  <os><type>hvm</type></os>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='{disk}'/>
      <target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='cdrom'><source file='{iso}'/><target dev='hdc' bus='ide'/><readonly/></disk>
  </devices>
</domain>"""


def volume(pool, name, backing=None):
    store = f"<backingStore><path>{backing.path()}</path><format type='qcow2'/></backingStore>" if backing else ""
    return pool.createXML(f"<volume><name>{name}</name><capacity>{8 * MiB}</capacity><target><format type='qcow2'/>"
                          f"</target>{store}</volume>", 0)


@pytest.fixture
def shelf(make_test_host, tmp_path):
    """{"host", "conn", "pool", "orig", "linked", "layered"} on a test:/// host with the pool 'shelf': 'orig' on
    base.qcow2; 'linked', a linked clone, on clone.qcow2 standing on base.qcow2; 'layered' on top.qcow2 standing on
    mid.qcow2 (its own chain); all with the CD-ROM cd.iso."""
    host = make_test_host("shelf", domains=0)
    conn = adapter.connection_for(host).get()
    pool = conn.storagePoolCreateXML(f"<pool type='dir'><name>shelf</name><target><path>{tmp_path / 'shelf'}</path>"
                                     "</target></pool>", 0)
    iso = pool.createXML(f"<volume><name>cd.iso</name><capacity>{MiB}</capacity></volume>", 0)
    base = volume(pool, "base.qcow2")
    clone = volume(pool, "clone.qcow2", backing=base)
    mid = volume(pool, "mid.qcow2")
    top = volume(pool, "top.qcow2", backing=mid)
    for name, disk in (("orig", base), ("linked", clone), ("layered", top)):
        conn.defineXML(DOMAIN.format(name=name, disk=disk.path(), iso=iso.path()))
    inventory.sync_host(host)
    rows = {name: Domain.objects.get(host=host, name=name) for name in ("orig", "linked", "layered")}
    return {"host": host, "conn": conn, "pool": pool, **rows}


def volumes(shelf):
    return sorted(vol.name() for vol in shelf["pool"].listAllVolumes(0))


def world(shelf):
    dom_states = sorted((dom.name(), dom.state()[0]) for dom in shelf["conn"].listAllDomains(0))
    return dom_states, volumes(shelf)


def undefine(api, domain, **extra):
    return api.post(f"/api/v1/domains/{domain.uuid}/actions",
                    {"action": "undefine", "confirm_name": domain.name, **extra}, format="json")


def test_it_deletes_the_domains_own_chain_and_keeps_the_cdrom(api_as, owner, shelf):
    answer = undefine(api_as(owner), shelf["layered"], remove_storage=True)

    assert answer.status_code == 200, answer.json()
    storage = answer.json()["storage"]
    assert [v["volume"] for v in storage["deleted"]] == ["top.qcow2", "mid.qcow2"]  # the overlay before its base
    assert storage["kept"] == [] and storage["left"] == []
    assert volumes(shelf) == ["base.qcow2", "cd.iso", "clone.qcow2"]
    assert "layered" not in [dom.name() for dom in shelf["conn"].listAllDomains(0)]
    assert "backups are kept" in answer.json()["message"]


def test_it_keeps_the_disks_without_remove_storage(api_as, owner, shelf):
    answer = undefine(api_as(owner), shelf["layered"])

    assert answer.status_code == 200, answer.json()
    assert "storage" not in answer.json()
    assert volumes(shelf) == ["base.qcow2", "cd.iso", "clone.qcow2", "mid.qcow2", "top.qcow2"]


def test_it_deletes_a_linked_clones_overlay_and_keeps_the_base_the_original_uses(api_as, owner, shelf):
    answer = undefine(api_as(owner), shelf["linked"], remove_storage=True)

    assert answer.status_code == 200, answer.json()
    storage = answer.json()["storage"]
    assert [v["volume"] for v in storage["deleted"]] == ["clone.qcow2"]
    assert [(v["volume"], v["reason"]) for v in storage["kept"]] == [("base.qcow2", "used by domain 'orig'")]
    assert "Kept shelf/base.qcow2: used by domain 'orig'" in answer.json()["message"]
    assert volumes(shelf) == ["base.qcow2", "cd.iso", "mid.qcow2", "top.qcow2"]


def test_it_keeps_the_originals_disk_a_linked_clone_stands_on_and_says_so(api_as, owner, shelf):
    answer = undefine(api_as(owner), shelf["orig"], remove_storage=True)

    assert answer.status_code == 200, answer.json()
    storage = answer.json()["storage"]
    assert storage["deleted"] == []
    assert storage["kept"][0]["volume"] == "base.qcow2"
    assert storage["kept"][0]["reason"] == "the backing file of 'shelf/clone.qcow2' (used by 'linked')"
    assert "base.qcow2" in volumes(shelf) and "clone.qcow2" in volumes(shelf)


def test_it_refuses_to_delete_the_storage_of_a_running_domain_with_nothing_changed(api_as, owner, shelf):
    shelf["conn"].lookupByName("layered").create()
    before = world(shelf)

    answer = undefine(api_as(owner), shelf["layered"], remove_storage=True)

    assert answer.status_code == 409 and answer.json()["code"] == "domain_running", answer.json()
    assert world(shelf) == before
    assert AuditEntry.objects.filter(action="domain.undefine", outcome__startswith="refused").exists()


def test_it_refuses_a_teammate_without_delete_on_the_pool_with_nothing_changed(api_as, teammate, grant, shelf):
    grant("Administrator", to=teammate, domain=shelf["layered"])
    before = world(shelf)

    answer = undefine(api_as(teammate), shelf["layered"], remove_storage=True)

    assert answer.status_code == 403, answer.json()
    assert "a pool you may not see" in answer.json()["message"]
    assert world(shelf) == before


def test_it_refuses_to_start_a_linked_clones_base_and_names_the_clone(api_as, owner, shelf):
    before = world(shelf)

    answer = api_as(owner).post(f"/api/v1/domains/{shelf['orig'].uuid}/actions", {"action": "start"}, format="json")

    assert answer.status_code == 409 and answer.json()["code"] == "base_of_linked_clone", answer.json()
    assert "'shelf/clone.qcow2' (used by 'linked')" in answer.json()["message"]
    assert world(shelf) == before


def test_it_starts_the_linked_clone_and_a_domain_on_its_own_chain(api_as, owner, shelf):
    for domain in (shelf["linked"], shelf["layered"]):
        answer = api_as(owner).post(f"/api/v1/domains/{domain.uuid}/actions", {"action": "start"}, format="json")
        assert answer.status_code == 200, answer.json()


def test_the_page_offers_to_delete_the_storage_and_deletes_it(client, owner, shelf):
    client.force_login(owner)
    page = client.get(f"/domains/{shelf['layered'].uuid}/").content.decode()
    assert 'name="remove_storage"' in page

    done = client.post(f"/domains/{shelf['layered'].uuid}/actions/undefine/",
                       {"confirm_name": "layered", "remove_storage": "on"}, follow=True).content.decode()

    assert "Deleted shelf/top.qcow2, shelf/mid.qcow2." in done
    assert volumes(shelf) == ["base.qcow2", "cd.iso", "clone.qcow2"]


