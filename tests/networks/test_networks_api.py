"""The networks API on a test:/// host (networks in libvirt's memory): create, act, change, delete, bad input."""

from domains.access.models import AuditEntry
from domains.libvirt import adapter
from domains.libvirt import networks as libvirt_networks
from domains.networks.models import Network


def networks_url(host, *rest):
    return "/".join([f"/api/v1/hosts/{host.pk}/networks", *rest])


def create(client, host, **body):
    return client.post(networks_url(host), body, content_type="application/json")


NAT = {"forward": "nat", "ipv4": {"address": "192.168.240.1", "prefix": 24,
                                  "dhcp": {"start": "192.168.240.10", "end": "192.168.240.50"}}}


def test_it_creates_a_started_nat_network_from_fields_and_shows_it(as_user, owner, test_driver_host):
    client = as_user(owner)

    answer = create(client, test_driver_host, name="lab", start=True, **NAT)

    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["name"], body["forward"], body["active"], body["persistent"]) == ("lab", "nat", True, True)
    assert body["ipv4"] == {"address": "192.168.240.1", "prefix": 24,
                            "dhcp": {"start": "192.168.240.10", "end": "192.168.240.50"}}
    assert "lab" in [network["name"] for network in client.get(networks_url(test_driver_host)).json()]
    assert client.get(networks_url(test_driver_host, "lab")).json()["uuid"] == body["uuid"]
    assert AuditEntry.objects.filter(action="network.define", outcome="ok").exists()


def test_it_creates_an_isolated_network_from_xml(as_user, owner, test_driver_host):
    xml = ("<network><name>inside</name><ip address='192.168.241.1' prefix='24'><dhcp>"
           "<range start='192.168.241.100' end='192.168.241.120'/></dhcp></ip></network>")

    answer = create(as_user(owner), test_driver_host, xml=xml)

    assert answer.status_code == 201, answer.content
    assert (answer.json()["forward"], answer.json()["active"]) == ("none", False)
    assert answer.json()["ipv4"]["dhcp"] == {"start": "192.168.241.100", "end": "192.168.241.120"}


def test_it_runs_each_action_and_patch_and_undefines_on_delete(as_user, owner, test_driver_host):
    client = as_user(owner)
    create(client, test_driver_host, name="cycle", **NAT)

    for action, field, value in (("start", "active", True), ("autostart", "autostart", True),
                                 ("noautostart", "autostart", False), ("stop", "active", False)):
        answer = client.post(networks_url(test_driver_host, "cycle", "actions"), {"action": action},
                             content_type="application/json")
        assert answer.status_code == 200, answer.content
        assert answer.json()[field] is value, action
    assert client.patch(networks_url(test_driver_host, "cycle"), {"autostart": True},
                        content_type="application/json").json()["autostart"] is True

    assert client.delete(networks_url(test_driver_host, "cycle")).status_code == 204
    assert libvirt_networks.find_network(test_driver_host, name="cycle") is None
    assert Network.objects.get(host=test_driver_host, name="cycle").gone
    assert AuditEntry.objects.filter(action="network.delete", outcome="ok").exists()


def test_it_redefines_a_network_from_edited_xml_keeping_its_uuid(as_user, owner, test_driver_host):
    client = as_user(owner)
    made = create(client, test_driver_host, name="edited", **NAT).json()
    xml = libvirt_networks.network_xml(libvirt_networks.find_network(test_driver_host, name="edited"))

    answer = client.patch(networks_url(test_driver_host, "edited"),
                          {"xml": xml.replace("192.168.240.50", "192.168.240.60")}, content_type="application/json")

    assert answer.status_code == 200, answer.content
    assert answer.json()["ipv4"]["dhcp"]["end"] == "192.168.240.60"
    assert answer.json()["uuid"] == made["uuid"]


def test_it_refuses_a_dhcp_range_outside_the_subnet_before_defining_anything(as_user, owner, test_driver_host):
    body = {"forward": "nat", "ipv4": {"address": "192.168.242.1", "prefix": 24,
                                       "dhcp": {"start": "192.168.242.10", "end": "192.168.243.10"}}}

    answer = create(as_user(owner), test_driver_host, name="wide", **body)

    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_network"
    assert "outside the subnet 192.168.242.0/24" in answer.json()["message"]
    assert libvirt_networks.find_network(test_driver_host, name="wide") is None
    assert AuditEntry.objects.filter(action="network.define", outcome__startswith="refused").exists()


def test_it_refuses_a_subnet_another_network_of_the_host_uses(as_user, owner, test_driver_host):
    client = as_user(owner)
    create(client, test_driver_host, name="first", **NAT)
    overlapping = {"forward": "nat", "ipv4": {"address": "192.168.240.129", "prefix": 25}}

    answer = create(client, test_driver_host, name="second", **overlapping)

    assert answer.status_code == 409
    assert answer.json()["code"] == "subnet_in_use"
    assert "'first'" in answer.json()["message"]
    assert libvirt_networks.find_network(test_driver_host, name="second") is None


def test_it_refuses_a_name_already_taken(as_user, owner, test_driver_host):
    client = as_user(owner)
    create(client, test_driver_host, name="twice", forward="none")

    answer = create(client, test_driver_host, name="twice", forward="none")

    assert answer.status_code == 409
    assert answer.json()["code"] == "network_exists"


def test_it_refuses_xml_that_breaks_libvirts_network_schema(as_user, owner, test_driver_host):
    answer = create(as_user(owner), test_driver_host, xml="<network><name>bad</name><forward mode='warp'/></network>")

    assert answer.status_code == 400
    assert "network.rng" in answer.json()["message"]
    assert libvirt_networks.find_network(test_driver_host, name="bad") is None


def test_it_refuses_a_bridge_network_without_the_hosts_bridge(as_user, owner, test_driver_host):
    answer = create(as_user(owner), test_driver_host, name="nobridge", forward="bridge")

    assert answer.status_code == 400
    assert '"bridge"' in answer.json()["message"]


def test_it_refuses_to_delete_a_network_a_domain_uses(as_user, owner, test_driver_host):
    client = as_user(owner)
    create(client, test_driver_host, name="used", forward="none")
    conn = adapter.connection_for(test_driver_host).get()
    conn.defineXML("<domain type='test'><name>plugged</name><memory>65536</memory><os><type>hvm</type></os>"
                   "<devices><interface type='network'><source network='used'/></interface></devices></domain>")

    answer = client.delete(networks_url(test_driver_host, "used"))

    assert answer.status_code == 409
    assert answer.json()["code"] == "in_use"
    assert answer.json()["fields"]["domains"] == ["plugged"]
    assert libvirt_networks.find_network(test_driver_host, name="used") is not None


def test_a_network_undefined_behind_the_consoles_back_is_marked_gone_on_the_next_list(as_user, owner,
                                                                                      test_driver_host):
    client = as_user(owner)
    create(client, test_driver_host, name="vanishing", forward="none")
    adapter.connection_for(test_driver_host).get().networkLookupByName("vanishing").undefine()

    names = [network["name"] for network in client.get(networks_url(test_driver_host)).json()]

    assert "vanishing" not in names
    assert Network.objects.get(host=test_driver_host, name="vanishing").gone


def test_an_unknown_network_answers_404(as_user, owner, test_driver_host):
    assert as_user(owner).get(networks_url(test_driver_host, "nowhere")).status_code == 404
