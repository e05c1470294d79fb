"""Network pages on a test:/// host: the list, the create form, one network with its actions, the XML editor, who
sees what, and leases matched to their domains."""

import pytest
from django.test import Client

from domains.hosts.actions import do_add_host
from domains.libvirt import adapter
from domains.libvirt import networks as libvirt_networks
from domains.lifecycle import inventory
from domains.networks.actions import do_define_network
from domains.networks.leases import with_domains

NAT = {"forward": "nat", "ipv4": {"address": "192.168.243.1", "prefix": 24,
                                  "dhcp": {"start": "192.168.243.10", "end": "192.168.243.50"}}}
FORM = {"network_name": "formed", "forward": "nat", "bridge": "", "ipv4_address": "192.168.244.1",
        "ipv4_prefix": "24", "ipv4_dhcp_start": "192.168.244.10", "ipv4_dhcp_end": "192.168.244.99",
        "ipv6_address": "", "ipv6_prefix": "64", "start": "on"}


def url(host, *rest):
    return "/".join([f"/hosts/{host.pk}/networks", *rest]) + "/"


@pytest.fixture
def lab(owner, test_driver_host):
    """A running NAT network "lab" with DHCP on the test host, defined by the owner."""
    do_define_network(owner, test_driver_host, fields={"name": "lab", **NAT}, start=True)
    return test_driver_host


@pytest.fixture
def wired_lab(owner, tmp_path):
    """A test:/// host with one host interface (eth7) whose one domain "wired" has an interface (MAC
    52:54:00:AA:BB:02) on its running network "lab": the domain comes in the host's node file, so nothing is
    defined behind the console's back."""
    node = tmp_path / "wired.xml"
    node.write_text(
        "<node><cpu><mhz>2000</mhz><model>i686</model><topology sockets='1' cores='1' threads='1'/></cpu>"
        "<memory>1048576</memory><domain type='test'><name>wired</name><memory>65536</memory>"
        "<os><type>hvm</type></os><devices><interface type='network'><mac address='52:54:00:AA:BB:02'/>"
        "<source network='lab'/></interface></devices></domain>"
        "<interface type='ethernet' name='eth7'><start mode='onboot'/><mac address='aa:bb:cc:00:00:07'/></interface>"
        "</node>")
    host = do_add_host(owner, "wired", f"test://{node}")
    inventory.sync_host(host)
    do_define_network(owner, host, fields={"name": "lab", **NAT}, start=True)
    yield host
    adapter.forget_host(host.pk)


def test_the_host_page_lists_its_networks_with_their_addresses(as_user, owner, lab):
    page = as_user(owner).get(url(lab)).content.decode()

    assert 'href="/hosts/{}/networks/lab/"'.format(lab.pk) in page
    assert "active" in page and "nat" in page and "192.168.243.1/24" in page
    assert "192.168.243.10 – 192.168.243.50" in page and "Define a network" in page


def test_the_hosts_page_links_each_hosts_networks(as_user, owner, lab):
    page = as_user(owner).get("/hosts/").content.decode()

    assert f'href="/hosts/{lab.pk}/networks/"' in page


def test_the_create_form_offers_every_forward_mode_with_the_fields_it_takes(as_user, owner, test_driver_host):
    form = as_user(owner).get(f"/hosts/{test_driver_host.pk}/new-network/").content.decode()

    for mode in ("nat", "route", "none", "open", "bridge", "macvtap", "hostdev"):
        assert f'<option value="{mode}"' in form, mode
    assert 'data-modes="macvtap hostdev"' in form and 'data-modes="nat route none open"' in form
    assert 'name="start" checked' in form


def test_the_create_form_defines_and_starts_a_network_from_its_fields(as_user, owner, test_driver_host):
    answer = as_user(owner).post(f"/hosts/{test_driver_host.pk}/new-network/", FORM)

    assert answer.status_code == 302 and answer["Location"] == url(test_driver_host, "formed")
    handle = libvirt_networks.find_network(test_driver_host, name="formed")
    assert libvirt_networks.network_live(handle)["active"]
    assert "192.168.244.99" in libvirt_networks.network_xml(handle)


def test_a_refused_form_keeps_what_the_user_typed_and_shows_the_field_error(as_user, owner, test_driver_host):
    answer = as_user(owner).post(f"/hosts/{test_driver_host.pk}/new-network/",
                                 {**FORM, "ipv4_dhcp_end": "192.168.245.99", "autostart": "on"})

    page = answer.content.decode()
    assert answer.status_code == 400
    assert "reaches outside the subnet" in page and 'data-field-error="ipv4"' in page
    assert 'value="formed"' in page and 'value="192.168.245.99"' in page and 'name="autostart" checked' in page
    assert libvirt_networks.find_network(test_driver_host, name="formed") is None


def test_a_bridge_network_left_without_its_bridge_is_refused_at_the_bridge_field(as_user, owner, test_driver_host):
    answer = as_user(owner).post(f"/hosts/{test_driver_host.pk}/new-network/",
                                 {"network_name": "bridged", "forward": "bridge", "bridge": ""})

    assert answer.status_code == 400 and 'data-field-error="bridge"' in answer.content.decode()


def test_the_network_page_offers_the_actions_the_owner_holds_as_post_forms(as_user, owner, lab):
    page = as_user(owner).get(url(lab, "lab")).content.decode()

    assert f'action="{url(lab, "lab", "actions", "stop")}"' in page
    assert f'action="{url(lab, "lab", "actions", "autostart")}"' in page
    assert f'action="{url(lab, "lab", "actions", "start")}"' not in page  # it runs already
    assert "csrfmiddlewaretoken" in page and ">Delete<" in page and "Edit XML" in page
    assert "&lt;network" in page  # the definition
    assert "virNetworkGetDHCPLeases" in page  # the test driver has no DHCP server: libvirt says so


def test_a_network_action_is_a_post_that_changes_the_network(as_user, owner, lab):
    client = as_user(owner)

    assert client.get(url(lab, "lab", "actions", "stop")).status_code == 405
    answer = client.post(url(lab, "lab", "actions", "stop"), follow=True)

    assert "Network &#x27;lab&#x27; stopped." in answer.content.decode()
    assert not libvirt_networks.network_live(libvirt_networks.find_network(lab, name="lab"))["active"]


def test_deleting_a_network_a_domain_uses_is_refused_naming_the_domain(as_user, owner, wired_lab):
    lab = wired_lab
    client = as_user(owner)

    page = client.get(url(lab, "lab")).content.decode()
    answer = client.post(url(lab, "lab", "delete"), follow=True)

    assert "is used by wired: the console refuses" in page
    assert answer.redirect_chain[-1][0] == url(lab, "lab")
    assert "is used by wired: remove their interfaces on it first" in answer.content.decode()
    assert libvirt_networks.find_network(lab, name="lab") is not None


def test_deleting_an_unused_network_undefines_it_and_returns_to_the_list(as_user, owner, lab):
    answer = as_user(owner).post(url(lab, "lab", "delete"))

    assert answer.status_code == 302 and answer["Location"] == url(lab)
    assert libvirt_networks.find_network(lab, name="lab") is None


def test_the_xml_editor_redefines_the_network_from_the_edited_text(as_user, owner, test_driver_host):
    # Inactive: the test driver keeps no separate persistent definition of a running network.
    do_define_network(owner, test_driver_host, fields={"name": "lab", **NAT})
    client = as_user(owner)
    xml = client.get(url(test_driver_host, "lab", "xml")).context["xml"]

    answer = client.post(url(test_driver_host, "lab", "xml"), {"xml": xml.replace("192.168.243.50", "192.168.243.60")})

    assert answer.status_code == 302
    assert "192.168.243.60" in libvirt_networks.network_xml(libvirt_networks.find_network(test_driver_host, name="lab"))


def test_the_xml_editor_shows_a_schema_error_keeps_the_text_and_changes_nothing(as_user, owner, lab):
    before = libvirt_networks.network_xml(libvirt_networks.find_network(lab, name="lab"))
    bad = "<network><name>lab</name><bogus/></network>"

    answer = as_user(owner).post(url(lab, "lab", "xml"), {"xml": bad})

    page = answer.content.decode()
    assert answer.status_code == 400 and "network schema" in page and "&lt;bogus/&gt;" in page
    assert libvirt_networks.network_xml(libvirt_networks.find_network(lab, name="lab")) == before


def test_an_outsider_gets_404_on_every_network_page(as_user, outsider, lab):
    client = as_user(outsider)

    for page in ("networks/", "new-network/", "networks/lab/", "networks/lab/xml/"):
        assert client.get(f"/hosts/{lab.pk}/{page}").status_code == 404, page
    assert client.post(url(lab, "lab", "actions", "stop")).status_code == 404
    assert client.post(url(lab, "lab", "delete")).status_code == 404
    assert libvirt_networks.network_live(libvirt_networks.find_network(lab, name="lab"))["active"]


def test_a_network_viewer_sees_the_network_and_its_leases_but_no_action(as_user, teammate, grant, define_role, lab):
    grant(define_role("Network viewer", ["network.getattr", "network.read"]), host=lab)
    client = as_user(teammate)

    listing = client.get(url(lab)).content.decode()
    page = client.get(url(lab, "lab")).content.decode()

    assert "lab" in listing and "Define a network" not in listing
    assert "/actions/" not in page and ">Delete<" not in page and "Edit XML" not in page
    assert "DHCP leases" in page and "&lt;network" in page
    assert client.post(url(lab, "lab", "actions", "stop")).status_code == 403
    assert client.get(f"/hosts/{lab.pk}/new-network/").status_code == 403


@pytest.mark.parametrize("held, offered", [
    (["network.getattr", "network.read", "network.write"], True),
    (["network.getattr", "network.write"], False),  # could send a definition it may not see: the editor shows one
    (["network.getattr", "network.read"], False),
])
def test_edit_xml_shows_only_to_who_may_both_read_and_write_the_network(as_user, teammate, grant, define_role, lab,
                                                                        held, offered):
    grant(define_role("Network editor", held), host=lab)
    client = as_user(teammate)

    page = client.get(url(lab, "lab")).content.decode()

    assert ("Edit XML" in page) is offered and (url(lab, "lab", "xml") in page) is offered
    assert (client.get(url(lab, "lab", "xml")).status_code == 200) is ("network.read" in held)


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(owner, lab):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)

    assert client.post(url(lab, "lab", "actions", "stop")).status_code == 403
    assert client.post(url(lab, "lab", "delete")).status_code == 403
    assert libvirt_networks.network_live(libvirt_networks.find_network(lab, name="lab"))["active"]


def test_the_embedded_hosts_network_page_says_networks_need_a_libvirtd_host(as_user, owner):
    from domains.hosts.models import Host

    # A raw row: the embedded host is made by the server itself, and no page below opens it (the embedded
    # driver is refused before any connection).
    host = Host.objects.create(name="embedded", uri="qemu:///embed?root=/var/tmp/vct-never-opened", embedded=True)
    client = as_user(owner)

    listing = client.get(f"/hosts/{host.pk}/networks/")
    assert listing.status_code == 200
    assert "need a libvirtd host" in listing.content.decode() and "Define a network" not in listing.content.decode()
    for page in ("", "xml/"):
        answer = client.get(f"/hosts/{host.pk}/networks/default/{page}")
        assert answer.status_code == 404 and "need a libvirtd host" in answer.content.decode(), page


def test_a_lease_is_matched_to_the_domain_with_its_mac_for_those_who_may_see_it(owner, outsider, wired_lab):
    lab = wired_lab
    leases = [{"mac": "52:54:00:aa:bb:02", "ip": "192.168.243.20", "prefix": 24, "type": "ipv4",
               "hostname": "wired", "client_id": None, "expires": 1_900_000_000},
              {"mac": "52:54:00:00:00:99", "ip": "192.168.243.21", "prefix": 24, "type": "ipv4",
               "hostname": None, "client_id": None, "expires": None}]

    mine, stranger = with_domains(owner, lab, leases)
    hidden, _ = with_domains(outsider, lab, leases)

    assert mine["domain"].name == "wired" and mine["owned"] and mine["expires_at"].year == 2030
    assert stranger["domain"] is None and not stranger["owned"]
    assert hidden["domain"] is None and hidden["owned"]


def test_a_static_dhcp_host_is_added_and_removed_from_the_network_page(as_user, owner, lab):
    client = as_user(owner)

    added = client.post(url(lab, "lab", "dhcp-hosts", "add"), {"mac": "52:54:00:AB:CD:01", "ip": "192.168.243.60",
                                                               "name": "web1"}, follow=True).content.decode()
    assert "Static DHCP host 192.168.243.60 added" in added and 'data-dhcp-host="52:54:00:ab:cd:01"' in added
    assert "192.168.243.60" in libvirt_networks.network_xml(libvirt_networks.find_network(lab, name="lab"))

    removed = client.post(url(lab, "lab", "dhcp-hosts", "remove"), {"mac": "52:54:00:ab:cd:01"},
                          follow=True).content.decode()
    assert "data-dhcp-host=" not in removed


def test_a_refused_static_host_says_why_and_changes_nothing(as_user, owner, lab):
    before = libvirt_networks.network_xml(libvirt_networks.find_network(lab, name="lab"))

    page = as_user(owner).post(url(lab, "lab", "dhcp-hosts", "add"), {"mac": "52:54:00:ab:cd:02",
                                                                     "ip": "10.9.9.9"}, follow=True).content.decode()

    assert "msg-error" in page and "10.9.9.9" in page
    assert libvirt_networks.network_xml(libvirt_networks.find_network(lab, name="lab")) == before


def test_a_dns_entry_is_added_and_removed_from_the_network_page(as_user, owner, lab):
    client = as_user(owner)

    added = client.post(url(lab, "lab", "dns-hosts", "add"), {"ip": "192.168.243.61", "hostnames": "db1 db1.lab"},
                        follow=True).content.decode()
    assert 'data-dns-host="192.168.243.61"' in added and "db1, db1.lab" in added

    removed = client.post(url(lab, "lab", "dns-hosts", "remove"), {"ip": "192.168.243.61"}, follow=True)
    assert 'data-dns-host="192.168.243.61"' not in removed.content.decode()


def test_a_network_viewer_sees_static_hosts_but_no_form_to_change_them(as_user, owner, teammate, grant, define_role,
                                                                        lab):
    as_user(owner).post(url(lab, "lab", "dhcp-hosts", "add"), {"mac": "52:54:00:ab:cd:03", "ip": "192.168.243.62"})
    grant(define_role("Network viewer", ["network.getattr", "network.read"]), host=lab)
    client = as_user(teammate)

    page = client.get(url(lab, "lab")).content.decode()

    assert 'data-dhcp-host="52:54:00:ab:cd:03"' in page
    assert "dhcp-hosts/" not in page and "dns-hosts/" not in page
    assert client.post(url(lab, "lab", "dhcp-hosts", "remove"), {"mac": "52:54:00:ab:cd:03"}).status_code == 403


def test_the_create_form_offers_the_hosts_interfaces_to_pick_for_macvtap(as_user, owner, wired_lab):
    form = as_user(owner).get(f"/hosts/{wired_lab.pk}/new-network/").content.decode()

    assert 'list="host-devices"' in form and '<option value="eth7">' in form
    assert "this host has none a network may use" in form  # no bridge of its own
