"""The host's interfaces and bridges, read through libvirt's interface driver, on a test:/// node that has some."""

import pytest

from domains.hosts.actions import do_add_host
from domains.libvirt.adapter import forget_host

NODE = """<node><cpu><mhz>2000</mhz><model>i686</model><topology sockets='1' cores='1' threads='1'/></cpu>
<memory>1048576</memory>
<interface type='ethernet' name='eth7'><start mode='onboot'/><mac address='52:54:00:25:47:01'/>
  <protocol family='ipv4'><ip address='192.168.254.5' prefix='24'/></protocol></interface>
<interface type='bridge' name='br7'><start mode='onboot'/><mtu size='1500'/>
  <bridge stp='off'><interface type='ethernet' name='eth8'><mac address='52:54:00:25:47:02'/></interface></bridge>
</interface>
</node>"""


@pytest.fixture
def lab_host(owner, tmp_path):
    """A test:/// host whose node has eth7 (an address) and bridge br7 with member eth8."""
    path = tmp_path / "interfaces-node.xml"
    path.write_text(NODE)
    host = do_add_host(owner, "interfaces", f"test://{path}")
    yield host
    forget_host(host.pk)


def url(host, query=""):
    return f"/api/v1/hosts/{host.pk}/interfaces{query}"


def test_it_lists_the_hosts_interfaces_with_kind_members_and_addresses(as_user, owner, lab_host):
    answer = as_user(owner).get(url(lab_host))

    assert answer.status_code == 200, answer.content
    by_name = {interface["name"]: interface for interface in answer.json()}
    assert sorted(by_name) == ["br7", "eth7", "eth8"]
    assert by_name["eth7"]["mac"] == "52:54:00:25:47:01"
    assert by_name["eth7"]["kind"] == "ethernet"
    assert by_name["eth7"]["addresses"] == [{"address": "192.168.254.5", "prefix": 24, "family": "ipv4"}]
    assert (by_name["br7"]["kind"], by_name["br7"]["members"], by_name["br7"]["network"]) == ("bridge", ["eth8"], None)
    assert by_name["eth8"]["in_bridge"] == "br7"


def test_it_offers_only_what_a_forward_mode_may_name(as_user, owner, lab_host):
    client = as_user(owner)

    bridges = [interface["name"] for interface in client.get(url(lab_host, "?usable_for=bridge")).json()]
    devices = [interface["name"] for interface in client.get(url(lab_host, "?usable_for=macvtap")).json()]

    assert bridges == ["br7"]
    assert devices == ["eth7"]  # eth8 is the bridge's


def test_it_refuses_an_unknown_use(as_user, owner, lab_host):
    answer = as_user(owner).get(url(lab_host, "?usable_for=wifi"))

    assert answer.status_code == 400
    assert "usable_for=bridge" in answer.json()["message"]


def test_it_needs_interface_read_on_the_host(as_user, teammate, outsider, grant, define_role, lab_host):
    grant("Operator", host=lab_host)

    assert as_user(outsider).get(url(lab_host)).status_code == 404
    refused = as_user(teammate).get(url(lab_host))
    assert refused.status_code == 403
    assert refused.json()["fields"]["permission"] == "interface.read"
    grant(define_role("Interface reader", ["interface.getattr", "interface.read"]), host=lab_host)
    assert as_user(teammate).get(url(lab_host)).status_code == 200
