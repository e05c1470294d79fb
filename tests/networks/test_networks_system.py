"""Networks on the system libvirtd, started for real: the bridge appears, dnsmasq serves DHCP, all gone after.

Which forward modes start here depends on the machine (NETWORKS-PROBE.md): 'open' needs only the bridge and
dnsmasq; NAT and isolated networks need libvirt's iptables rules, so they skip, naming libvirt's refusal, where
the firewall part cannot work, after checking nothing was left behind.
"""

import subprocess
from pathlib import Path

import pytest

from domains.libvirt import networks as libvirt_networks
from domains.libvirt.adapter import VirtError
from domains.networks.actions import do_define_network
from domains.networks.models import Network

pytestmark = [pytest.mark.system]


def bridge_exists(name):
    return Path("/sys/class/net", name).exists()


def dnsmasq_serves(network_name):
    """Whether a dnsmasq runs with this network's configuration file (libvirt names it after the network)."""
    found = subprocess.run(["pgrep", "-f", f"/var/lib/libvirt/dnsmasq/{network_name}.conf"], capture_output=True)
    return found.returncode == 0


def fields(network_name, forward, third_octet):
    return {"name": network_name, "forward": forward, "bridge": f"vct{network_name[-8:]}",
            "ipv4": {"address": f"192.168.{third_octet}.1", "prefix": 24,
                     "dhcp": {"start": f"192.168.{third_octet}.10", "end": f"192.168.{third_octet}.50"}}}


def test_an_open_network_with_dhcp_goes_through_its_whole_life_by_the_api(as_user, owner, system_host,
                                                                          network_name):
    client = as_user(owner)
    url = f"/api/v1/hosts/{system_host.pk}/networks"

    made = client.post(url, {**fields(network_name, "open", 236), "start": True, "autostart": True},
                       content_type="application/json")

    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["active"], body["autostart"], body["forward"]) == (True, True, "open")
    assert bridge_exists(body["bridge"])
    assert dnsmasq_serves(network_name)
    assert client.get(f"{url}/{network_name}/leases").json() == []
    stopped = client.post(f"{url}/{network_name}/actions", {"action": "stop"}, content_type="application/json")
    assert stopped.json()["active"] is False
    assert not bridge_exists(body["bridge"]) and not dnsmasq_serves(network_name)

    assert client.delete(f"{url}/{network_name}").status_code == 204
    assert libvirt_networks.find_network(system_host, name=network_name) is None
    assert Network.objects.get(host=system_host, name=network_name).gone


@pytest.mark.parametrize("forward, third_octet", [("nat", 237), ("none", 238)])
def test_a_nat_or_isolated_network_starts_with_its_bridge_and_dhcp(owner, system_host, network_name, forward,
                                                                   third_octet):
    try:
        row, handle = do_define_network(owner, system_host, fields=fields(network_name, forward, third_octet),
                                        start=True)
    except VirtError as exc:
        # Nothing half-made: the define was taken back.
        assert libvirt_networks.find_network(system_host, name=network_name) is None
        assert not Network.objects.filter(host=system_host, name=network_name).exists()
        if "firewall" in exc.message or "iptables" in exc.message:
            pytest.skip(f"this machine's libvirtd cannot set up a network's firewall rules: {exc.message}")
        raise
    bridge = libvirt_networks.network_live(handle)["bridge"]
    assert bridge_exists(bridge) and dnsmasq_serves(network_name)
    libvirt_networks.stop_network(handle)
    assert not bridge_exists(bridge)
