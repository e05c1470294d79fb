"""The install page: reachable from the dashboard, offers only what the host has, creates through the one action."""

from domains.libvirt import adapter
from tests.install.conftest import domain_names


def test_the_dashboard_links_to_the_install_page(client, owner, lab_host):
    client.force_login(owner)
    assert 'href="/install/"' in client.get("/").content.decode()


def test_the_page_offers_the_hosts_media_pools_and_networks_and_only_bios_here(client, owner, lab_host):
    client.force_login(owner)
    page = client.get(f"/install/?host={lab_host.pk}").content.decode()
    assert "<option>images/media.iso</option>" in page and "<option>images/disk.qcow2</option>" in page
    assert "<option>lan</option>" in page and "<option>images</option>" in page
    assert "<option>bios</option>" in page and "uefi" not in page


def test_the_form_creates_a_domain_from_an_iso_with_a_disk_and_a_network(client, owner, lab_host):
    client.force_login(owner)
    answer = client.post("/install/", {"host": lab_host.pk, "name": "page1", "kind": "iso",
                                       "medium": "images/media.iso", "os": "debian11", "vcpus": "1",
                                       "memory_mib": "256", "firmware": "bios", "disk_pool": "images",
                                       "disk_gib": "2", "network": "lan"}, follow=True)
    assert answer.status_code == 200
    assert "Domain &#x27;page1&#x27; created." in answer.content.decode()
    xml = adapter.connection_for(lab_host).get().lookupByName("page1").XMLDesc(0)
    assert "media.iso" in xml and "page1-disk0.qcow2" in xml and "network='lan'" in xml


def test_a_refusal_is_told_on_the_page_and_nothing_is_created(client, owner, lab_host):
    client.force_login(owner)
    answer = client.post("/install/", {"host": lab_host.pk, "name": "page2", "kind": "iso",
                                       "medium": "images/media.iso", "firmware": "uefi"})
    assert answer.status_code == 400
    assert "Nothing was created" in answer.content.decode() and "uefi" in answer.content.decode()
    assert "page2" not in domain_names(lab_host)


def test_a_user_without_define_domains_is_told_to_ask(client, outsider, lab_host):
    client.force_login(outsider)
    assert "You may not create domains on any host" in client.get("/install/").content.decode()
