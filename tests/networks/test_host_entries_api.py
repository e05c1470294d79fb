"""Static DHCP hosts and DNS host entries on a test:/// host: added and removed live, bad input refused first."""

import pytest

from domains.access.models import AuditEntry
from domains.libvirt import networks as libvirt_networks
from domains.networks.actions import do_define_network

LAB = {"name": "lab", "forward": "nat", "ipv4": {"address": "192.168.251.1", "prefix": 24,
                                                 "dhcp": {"start": "192.168.251.100", "end": "192.168.251.200"}}}


def url(host, what, query=""):
    return f"/api/v1/hosts/{host.pk}/networks/lab/{what}{query}"


def post(client, host, what, body):
    return client.post(url(host, what), body, content_type="application/json")


@pytest.fixture
def lab(owner, test_driver_host):
    """A running NAT network "lab" on 192.168.251.0/24 with a DHCP range .100-.200."""
    do_define_network(owner, test_driver_host, fields=LAB, start=True)
    return test_driver_host


def lab_xml(host):
    return libvirt_networks.network_xml(libvirt_networks.find_network(host, name="lab"), inactive=False)


def test_it_adds_a_static_dhcp_host_to_a_running_network_and_lists_it(as_user, owner, lab):
    client = as_user(owner)

    answer = post(client, lab, "dhcp-hosts", {"mac": "52:54:00:AA:00:01", "ip": "192.168.251.10", "name": "web1"})

    assert answer.status_code == 201, answer.content
    assert answer.json() == {"mac": "52:54:00:aa:00:01", "id": None, "ip": "192.168.251.10", "name": "web1"}
    assert client.get(url(lab, "dhcp-hosts")).json() == [answer.json()]
    assert "<host mac='52:54:00:aa:00:01' name='web1' ip='192.168.251.10'/>" in lab_xml(lab)
    actions = list(AuditEntry.objects.filter(action="network.dhcp_host.add").order_by("pk")
                   .values_list("outcome", flat=True))
    assert actions == ["started", "ok"]


def test_it_removes_a_static_dhcp_host_named_by_its_mac(as_user, owner, lab):
    client = as_user(owner)
    post(client, lab, "dhcp-hosts", {"mac": "52:54:00:aa:00:02", "ip": "192.168.251.11"})

    answer = client.delete(url(lab, "dhcp-hosts", "?mac=52:54:00:AA:00:02"))

    assert answer.status_code == 204, answer.content
    assert client.get(url(lab, "dhcp-hosts")).json() == []
    assert "52:54:00:aa:00:02" not in lab_xml(lab)


def test_it_changes_a_stopped_networks_definition_only(as_user, owner, lab):
    client = as_user(owner)
    client.post(f"/api/v1/hosts/{lab.pk}/networks/lab/actions", {"action": "stop"}, content_type="application/json")

    answer = post(client, lab, "dhcp-hosts", {"mac": "52:54:00:aa:00:03", "ip": "192.168.251.12"})

    assert answer.status_code == 201, answer.content
    assert [host["mac"] for host in client.get(url(lab, "dhcp-hosts")).json()] == ["52:54:00:aa:00:03"]


@pytest.mark.parametrize("body, status, code, says", [
    ({"mac": "52:54:00:aa:00:09", "ip": "192.168.252.10"}, 400, "invalid_network", "outside the subnets"),
    ({"mac": "52:54:00:aa:00:09", "ip": "192.168.251.1"}, 400, "invalid_network", "network's own"),
    ({"mac": "52:54:00:aa:00:09", "ip": "192.168.251.20"}, 409, "dhcp_host_exists", "ip 192.168.251.20"),
    ({"mac": "52:54:00:aa:00:01", "ip": "192.168.251.30"}, 409, "dhcp_host_exists", "mac 52:54:00:aa:00:01"),
    ({"mac": "not-a-mac", "ip": "192.168.251.30"}, 400, "invalid_network", "not a MAC address"),
    ({"mac": "52:54:00:aa:00:09", "ip": "192.168.251.30", "name": "bad name"}, 400, "invalid_network", "host name"),
])
def test_it_refuses_a_static_host_libvirt_should_not_be_asked_for(as_user, owner, lab, body, status, code, says):
    client = as_user(owner)
    post(client, lab, "dhcp-hosts", {"mac": "52:54:00:aa:00:01", "ip": "192.168.251.20"})
    before = lab_xml(lab)

    answer = post(client, lab, "dhcp-hosts", body)

    assert answer.status_code == status, answer.content
    assert answer.json()["code"] == code
    assert says in answer.json()["message"]
    assert lab_xml(lab) == before
    assert AuditEntry.objects.filter(action="network.dhcp_host.add", outcome__startswith="refused").exists()


def test_it_answers_404_for_a_mac_the_network_does_not_have(as_user, owner, lab):
    answer = as_user(owner).delete(url(lab, "dhcp-hosts", "?mac=52:54:00:aa:00:42"))

    assert answer.status_code == 404
    assert answer.json()["code"] == "no_dhcp_host"


def test_an_ipv4_host_goes_into_the_ipv4_subnet_when_the_ipv6_one_comes_first(as_user, owner, test_driver_host):
    # libvirt's parentIndex -1 picks the first <ip> with DHCP: here the IPv6 one, which would refuse the host.
    xml = ("<network><name>lab</name><ip family='ipv6' address='fd00:251::1' prefix='64'><dhcp>"
           "<range start='fd00:251::100' end='fd00:251::200'/></dhcp></ip>"
           "<ip address='192.168.251.1' prefix='24'><dhcp><range start='192.168.251.100' end='192.168.251.200'/>"
           "</dhcp></ip></network>")
    do_define_network(owner, test_driver_host, xml, start=True)
    client = as_user(owner)

    v4 = post(client, test_driver_host, "dhcp-hosts", {"mac": "52:54:00:aa:00:04", "ip": "192.168.251.13"})
    v6 = post(client, test_driver_host, "dhcp-hosts", {"name": "six", "ip": "fd00:251::13"})
    with_mac = post(client, test_driver_host, "dhcp-hosts", {"mac": "52:54:00:aa:00:05", "ip": "fd00:251::14"})

    assert (v4.status_code, v6.status_code) == (201, 201), (v4.content, v6.content)
    xml_now = lab_xml(test_driver_host)
    ipv4_part = xml_now[xml_now.index("192.168.251.1"):]
    assert "52:54:00:aa:00:04" in ipv4_part and "fd00:251::13" not in ipv4_part
    assert with_mac.status_code == 400 and "IPv6" in with_mac.json()["message"]
    assert client.delete(url(test_driver_host, "dhcp-hosts", "?name=six")).status_code == 204
    assert [host["ip"] for host in client.get(url(test_driver_host, "dhcp-hosts")).json()] == ["192.168.251.13"]


def test_it_adds_lists_and_removes_a_dns_host_entry(as_user, owner, lab):
    client = as_user(owner)

    made = post(client, lab, "dns-hosts", {"ip": "192.168.251.10", "hostnames": ["web1", "www.lab"]})
    again = post(client, lab, "dns-hosts", {"ip": "192.168.251.10", "hostnames": ["other"]})

    assert made.status_code == 201, made.content
    assert client.get(url(lab, "dns-hosts")).json() == [{"ip": "192.168.251.10", "hostnames": ["web1", "www.lab"]}]
    assert again.status_code == 409 and again.json()["code"] == "dns_host_exists"
    assert client.delete(url(lab, "dns-hosts", "?ip=192.168.251.10")).status_code == 204
    assert client.get(url(lab, "dns-hosts")).json() == []
    assert client.delete(url(lab, "dns-hosts", "?ip=192.168.251.10")).status_code == 404


def test_a_network_viewer_sees_static_hosts_but_may_not_change_them(as_user, owner, teammate, grant, define_role,
                                                                   lab):
    post(as_user(owner), lab, "dhcp-hosts", {"mac": "52:54:00:aa:00:06", "ip": "192.168.251.15"})
    grant(define_role("Network viewer", ["network.getattr", "network.read"]), host=lab)
    client = as_user(teammate)

    listed = client.get(url(lab, "dhcp-hosts"))
    added = post(client, lab, "dhcp-hosts", {"mac": "52:54:00:aa:00:07", "ip": "192.168.251.16"})
    removed = client.delete(url(lab, "dhcp-hosts", "?mac=52:54:00:aa:00:06"))

    assert [host["mac"] for host in listed.json()] == ["52:54:00:aa:00:06"]
    assert (added.status_code, removed.status_code) == (403, 403)
    assert added.json()["fields"]["permission"] == "network.write"


def test_network_write_without_save_cannot_change_the_persistent_definition(as_user, teammate, grant, define_role,
                                                                           lab):
    grant(define_role("Network writer", ["network.getattr", "network.read", "network.write"]), host=lab)

    answer = post(as_user(teammate), lab, "dhcp-hosts", {"mac": "52:54:00:aa:00:08", "ip": "192.168.251.17"})

    assert answer.status_code == 403
    assert answer.json()["fields"]["permission"] == "network.save"
    assert "52:54:00:aa:00:08" not in lab_xml(lab)
