"""Forward modes and addresses checked before anything is defined, on a test:/// host (its one interface: eth1)."""

import pytest

from domains.access.models import AuditEntry
from domains.libvirt import networks as libvirt_networks


@pytest.fixture
def default_host(owner):
    """test:///default as a host: the test driver's shared default node, whose one host interface is eth1."""
    from domains.hosts.actions import do_add_host
    from domains.libvirt.adapter import forget_host

    host = do_add_host(owner, "default-node", "test:///default")
    yield host
    for handle in libvirt_networks.list_networks(host):
        if libvirt_networks.network_name(handle).startswith("fwd-"):
            if libvirt_networks.network_live(handle)["active"]:
                libvirt_networks.stop_network(handle)
            libvirt_networks.undefine_network(handle)
    forget_host(host.pk)


def create(client, host, **body):
    return client.post(f"/api/v1/hosts/{host.pk}/networks", body, content_type="application/json")


def test_it_refuses_a_bridge_network_on_a_bridge_the_host_does_not_have(as_user, owner, default_host):
    answer = create(as_user(owner), default_host, name="fwd-bridge", forward="bridge", bridge="br-nowhere")

    assert answer.status_code == 400
    assert "has no bridge 'br-nowhere'" in answer.json()["message"]
    assert answer.json()["fields"] == {"bridge": ["No such bridge on the host."]}
    assert libvirt_networks.find_network(default_host, name="fwd-bridge") is None
    assert AuditEntry.objects.filter(action="network.define", outcome__startswith="refused").exists()


def test_it_refuses_a_macvtap_network_on_an_interface_the_host_does_not_have(as_user, owner, default_host):
    answer = create(as_user(owner), default_host, name="fwd-macvtap", forward="macvtap", device="eth9")

    assert answer.status_code == 400
    assert "no network interface 'eth9'" in answer.json()["message"]
    assert libvirt_networks.find_network(default_host, name="fwd-macvtap") is None


def test_it_defines_a_macvtap_network_on_an_interface_the_host_has(as_user, owner, default_host):
    answer = create(as_user(owner), default_host, name="fwd-macvtap", forward="macvtap", device="eth1")

    assert answer.status_code == 201, answer.content
    assert answer.json()["forward"] == "passthrough"


def test_it_refuses_a_macvtap_network_without_its_device(as_user, owner, default_host):
    answer = create(as_user(owner), default_host, name="fwd-macvtap", forward="macvtap", bridge="br0")

    assert answer.status_code == 400
    assert answer.json()["fields"] == {"device": ["Required."]}


def test_it_refuses_a_hostdev_network_on_a_host_without_sriov(as_user, owner, default_host):
    answer = create(as_user(owner), default_host, name="fwd-hostdev", forward="hostdev", device="eth1")

    assert answer.status_code == 409
    assert answer.json()["code"] == "no_sriov"
    assert "no SR-IOV physical function" in answer.json()["message"]
    assert libvirt_networks.find_network(default_host, name="fwd-hostdev") is None


def test_it_refuses_port_forwarding_saying_libvirt_networks_have_none(as_user, owner, default_host):
    answer = create(as_user(owner), default_host, name="fwd-ports", forward="nat",
                    port_forwards=[{"proto": "tcp", "host_port": 8022, "guest": "192.168.253.10:22"}])

    assert answer.status_code == 400
    assert answer.json()["code"] == "unsupported"
    assert "no <portForward> for networks" in answer.json()["message"]


@pytest.mark.parametrize("ip, says", [
    ("<ip family='ipv6' address='fd00:253::1' prefix='64'><dhcp><range start='fd00:253::10' end='fd00:254::10'/>"
     "</dhcp></ip>", "outside the subnet fd00:253::/64"),
    ("<ip family='ipv6' address='fd00:253::1' prefix='64'><dhcp><range start='fd00:253::90' end='fd00:253::10'/>"
     "</dhcp></ip>", "starts (fd00:253::90) after it ends"),
    ("<ip address='192.168.253.1' prefix='24'><dhcp><range start='192.168.253.1' end='192.168.253.90'/></dhcp></ip>",
     "holds the host's own address 192.168.253.1"),
    ("<ip address='192.168.253.1' prefix='24'><dhcp><range start='fd00:253::10' end='fd00:253::20'/></dhcp></ip>",
     "outside the subnet 192.168.253.0/24"),
])
def test_it_refuses_a_dhcp_range_in_xml_that_does_not_fit_its_subnet(as_user, owner, default_host, ip, says):
    answer = create(as_user(owner), default_host, xml=f"<network><name>fwd-range</name>{ip}</network>")

    assert answer.status_code == 400, answer.content
    assert says in answer.json()["message"]
    assert libvirt_networks.find_network(default_host, name="fwd-range") is None


def test_it_refuses_an_ipv6_dhcp_range_from_fields_that_holds_the_gateway(as_user, owner, default_host):
    answer = create(as_user(owner), default_host, name="fwd-v6", forward="none",
                    ipv6={"address": "fd00:253::1", "prefix": 64,
                          "dhcp": {"start": "fd00:253::1", "end": "fd00:253::ff"}})

    assert answer.status_code == 400
    assert answer.json()["fields"] == {"ipv6": ["Range holds the host address."]}
