"""The host side of networks on the system libvirtd, for real: static hosts reach dnsmasq's files at once, forward
modes on a real host bridge and interface, the host's interfaces, nwfilters in use refused. Everything a test makes
(networks, bridges, taps, filters, bindings) is named vcths-... and removed afterwards, failed or not."""

import subprocess
import uuid
from pathlib import Path

import libvirt
import pytest

from domains.hosts.actions import do_add_host
from domains.libvirt import networks as libvirt_networks
from domains.libvirt.adapter import daemon_uri, forget_host
from tests.conftest import wait_for

pytestmark = [pytest.mark.system]

PREFIX = "vcths"
DNSMASQ = Path("/var/lib/libvirt/dnsmasq")


def _remove_everything_named_ours():
    conn = libvirt.open(daemon_uri("qemu:///system"))
    try:
        for binding in conn.listAllNWFilterBindings(0):
            if binding.portDev().startswith(PREFIX):
                binding.delete()
        for network in conn.listAllNetworks(0):
            if network.name().startswith(PREFIX):
                if network.isActive():
                    network.destroy()
                if network.isPersistent():
                    network.undefine()
        # Includers first: a filter others include is still removable in libvirt, but keep it tidy.
        filters = [f for f in conn.listAllNWFilters(0) if f.name().startswith(PREFIX)]
        for nwfilter in sorted(filters, key=lambda f: "filterref" not in f.XMLDesc(0)):
            nwfilter.undefine()
    finally:
        conn.close()
    for link in Path("/sys/class/net").iterdir():
        if link.name.startswith(PREFIX):
            subprocess.run(["ip", "link", "del", link.name], check=False, capture_output=True)


@pytest.fixture
def system(transactional_db, owner):
    """The system libvirtd as a console host; everything named vcths-... removed afterwards."""
    host = do_add_host(owner, "system", "qemu:///system")
    yield host
    forget_host(host.pk)
    _remove_everything_named_ours()


@pytest.fixture
def tag():
    return uuid.uuid4().hex[:6]


def api(client, method, path, body=None):
    return client.generic(method, path, data=__import__("json").dumps(body) if body is not None else "",
                          content_type="application/json")


def file_text(path):
    return path.read_text() if path.exists() else ""


def test_a_static_host_and_a_dns_entry_reach_dnsmasq_at_once_and_leave_again(as_user, owner, system, tag):
    client = as_user(owner)
    name = f"{PREFIX}-{tag}"
    base = f"/api/v1/hosts/{system.pk}/networks"
    made = api(client, "POST", base, {"name": name, "forward": "nat", "bridge": f"{PREFIX}{tag}", "start": True,
                                      "ipv4": {"address": "192.168.252.1", "prefix": 24,
                                               "dhcp": {"start": "192.168.252.100", "end": "192.168.252.200"}}})
    assert made.status_code == 201, made.content
    hostsfile, addnhosts = DNSMASQ / f"{name}.hostsfile", DNSMASQ / f"{name}.addnhosts"

    added = api(client, "POST", f"{base}/{name}/dhcp-hosts", {"mac": "52:54:00:25:20:01", "ip": "192.168.252.10",
                                                             "name": "web1"})
    dns = api(client, "POST", f"{base}/{name}/dns-hosts", {"ip": "192.168.252.10", "hostnames": ["web1.lab"]})

    assert (added.status_code, dns.status_code) == (201, 201), (added.content, dns.content)
    assert "52:54:00:25:20:01,192.168.252.10,web1" in file_text(hostsfile)
    assert "192.168.252.10" in file_text(addnhosts) and "web1.lab" in file_text(addnhosts)
    saved = libvirt_networks.network_xml(libvirt_networks.find_network(system, name=name), inactive=True)
    assert "52:54:00:25:20:01" in saved and "web1.lab" in saved  # the persistent definition has them too

    assert api(client, "DELETE", f"{base}/{name}/dhcp-hosts?mac=52:54:00:25:20:01").status_code == 204
    assert api(client, "DELETE", f"{base}/{name}/dns-hosts?ip=192.168.252.10").status_code == 204
    assert wait_for(lambda: "52:54:00:25:20:01" not in file_text(hostsfile))
    assert "web1.lab" not in file_text(addnhosts)


def test_a_bridge_network_on_a_real_host_bridge_offered_by_the_interfaces_view(as_user, owner, system, tag):
    client = as_user(owner)
    bridge = f"{PREFIX}b{tag}"
    subprocess.run(["ip", "link", "add", bridge, "type", "bridge"], check=True)
    offered = api(client, "GET", f"/api/v1/hosts/{system.pk}/interfaces?usable_for=bridge")
    assert bridge in [interface["name"] for interface in offered.json()], offered.content

    made = api(client, "POST", f"/api/v1/hosts/{system.pk}/networks",
               {"name": f"{PREFIX}-{tag}", "forward": "bridge", "bridge": bridge, "start": True})

    assert made.status_code == 201, made.content
    assert (made.json()["forward"], made.json()["active"], made.json()["bridge"]) == ("bridge", True, bridge)


def test_a_running_networks_bridge_is_shown_as_its_own_and_not_offered(as_user, owner, system, tag):
    client = as_user(owner)
    name, bridge = f"{PREFIX}-{tag}", f"{PREFIX}{tag}"
    made = api(client, "POST", f"/api/v1/hosts/{system.pk}/networks",
               {"name": name, "forward": "open", "bridge": bridge, "start": True,
                "ipv4": {"address": "192.168.253.1", "prefix": 24}})
    assert made.status_code == 201, made.content

    listed = {i["name"]: i for i in api(client, "GET", f"/api/v1/hosts/{system.pk}/interfaces").json()}

    assert listed[bridge]["kind"] == "bridge" and listed[bridge]["network"] == name
    assert listed[bridge]["addresses"] == [{"address": "192.168.253.1", "prefix": 24, "family": "ipv4"}]
    assert listed[bridge]["usable_for"] == []
    assert "macvtap" in listed["eth0"]["usable_for"] and listed["eth0"]["mac"]


def test_a_macvtap_network_names_a_real_interface_and_refuses_a_missing_one(as_user, owner, system, tag):
    client = as_user(owner)
    url = f"/api/v1/hosts/{system.pk}/networks"

    missing = api(client, "POST", url, {"name": f"{PREFIX}-{tag}", "forward": "macvtap", "device": f"{PREFIX}none"})
    made = api(client, "POST", url, {"name": f"{PREFIX}-{tag}", "forward": "macvtap", "device": "eth0"})

    assert missing.status_code == 400 and "no network interface" in missing.json()["message"]
    assert made.status_code == 201, made.content
    assert made.json()["forward"] == "passthrough"


def test_a_hostdev_network_is_refused_where_the_host_has_no_sriov(as_user, owner, system, tag):
    functions = libvirt_networks.sriov_physical_functions(system)
    if functions:
        pytest.skip(f"this machine has SR-IOV physical functions ({', '.join(functions)}): nothing to refuse")

    answer = api(as_user(owner), "POST", f"/api/v1/hosts/{system.pk}/networks",
                 {"name": f"{PREFIX}-{tag}", "forward": "hostdev", "device": "eth0"})

    assert answer.status_code == 409 and answer.json()["code"] == "no_sriov"
    assert libvirt_networks.find_network(system, name=f"{PREFIX}-{tag}") is None


def test_a_hostdev_network_is_defined_on_an_sriov_physical_function(as_user, owner, system, tag):
    functions = libvirt_networks.sriov_physical_functions(system)
    if not functions:
        pytest.skip("this machine has no SR-IOV physical function (no PCI network card with virtual functions), "
                    "so a hostdev network cannot be made here")
    answer = api(as_user(owner), "POST", f"/api/v1/hosts/{system.pk}/networks",
                 {"name": f"{PREFIX}-{tag}", "forward": "hostdev", "device": sorted(functions)[0]})

    assert answer.status_code == 201, answer.content


def test_nwfilters_are_listed_read_changed_and_kept_while_in_use(as_user, owner, system, tag):
    client = as_user(owner)
    url = f"/api/v1/hosts/{system.pk}/nwfilters"
    base, top = f"{PREFIX}-{tag}-ssh", f"{PREFIX}-{tag}-top"
    ssh = (f"<filter name='{base}' chain='ipv4' priority='-650'><rule action='accept' direction='out' "
           "priority='500'><ip protocol='tcp' dstportstart='22'/></rule></filter>")

    made = api(client, "POST", url, {"xml": ssh})
    including = api(client, "POST", url, {"xml": f"<filter name='{top}' chain='root'><filterref filter='{base}'/>"
                                                 "</filter>"})
    twice = api(client, "POST", url, {"xml": ssh})

    assert (made.status_code, including.status_code) == (201, 201), (made.content, including.content)
    assert twice.status_code == 409 and twice.json()["code"] == "nwfilter_exists"
    listed = {f["name"]: f for f in api(client, "GET", url).json()}
    assert (listed[base]["chain"], listed[base]["priority"], listed[base]["rules"]) == ("ipv4", -650, 1)
    assert listed[top]["references"] == [base] and listed[base]["referenced_by"] == [top]
    assert "dstportstart='22'" in api(client, "GET", f"{url}/{base}").json()["xml"]
    changed = api(client, "PUT", f"{url}/{base}", {"xml": ssh.replace("-650", "-640")})
    assert changed.status_code == 200 and changed.json()["priority"] == -640
    assert changed.json()["uuid"] == made.json()["uuid"]
    renamed = api(client, "PUT", f"{url}/{base}", {"xml": ssh.replace(base, f"{base}2")})
    assert renamed.status_code == 400

    included = api(client, "DELETE", f"{url}/{base}")
    assert included.status_code == 409 and included.json()["fields"]["referenced_by"] == [top]

    # A running interface bound to the filter: a tap device of our own, bound as a guest's would be.
    tap = f"{PREFIX}t{tag}"
    subprocess.run(["ip", "tuntap", "add", tap, "mode", "tap"], check=True)
    conn = libvirt.open(daemon_uri("qemu:///system"))
    try:
        conn.nwfilterBindingCreateXML(
            f"<filterbinding><owner><name>{PREFIX}-vm</name><uuid>{uuid.uuid4()}</uuid></owner>"
            f"<portdev name='{tap}'/><mac address='52:54:00:25:30:01'/><filterref filter='{top}'/></filterbinding>", 0)
    finally:
        conn.close()
    bound = api(client, "DELETE", f"{url}/{top}")
    assert bound.status_code == 409 and bound.json()["code"] == "in_use", bound.content
    assert bound.json()["fields"]["bound_to"] == [tap]
    assert {f["name"] for f in api(client, "GET", url).json()} >= {base, top}


def test_an_unknown_nwfilter_answers_404(as_user, owner, system, tag):
    answer = api(as_user(owner), "GET", f"/api/v1/hosts/{system.pk}/nwfilters/{PREFIX}-{tag}-none")

    assert answer.status_code == 404 and answer.json()["code"] == "no_nwfilter"
