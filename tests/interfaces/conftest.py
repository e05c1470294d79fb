"""Interface fixtures: a test:/// host with a network, a stopped and a running domain (each with one interface)."""

import pytest

from domains.hosts.actions import do_add_host
from domains.libvirt import adapter
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain

STOPPED_MAC = "52:54:00:00:00:01"
RUNNING_MAC = "52:54:00:00:00:02"


def _domain(index, mac):
    return (f"<domain type='test'><name>vm{index}</name><uuid>00000000-0000-4000-8000-{index:012d}</uuid>"
            "<memory>65536</memory><vcpu>1</vcpu><os><type>hvm</type></os><devices>"
            f"<interface type='network'><mac address='{mac}'/><source network='lab'/><model type='virtio'/>"
            "</interface></devices></domain>")


NODE = ("<node><cpu><mhz>2000</mhz><model>i686</model><topology sockets='1' cores='2' threads='1'/></cpu>"
        "<memory>16777216</memory>" + _domain(1, STOPPED_MAC) + _domain(2, RUNNING_MAC) +
        "<network><name>lab</name><bridge name='virbr9'/><forward/><ip address='192.168.230.1' "
        "netmask='255.255.255.0'><dhcp><range start='192.168.230.10' end='192.168.230.50'/></dhcp></ip></network>"
        "</node>")


@pytest.fixture
def as_user(client):
    """as_user(user) -> a Django test client signed in as user."""
    def sign_in(user):
        client.force_login(user)
        return client
    return sign_in


@pytest.fixture
def lab(owner, tmp_path):
    """{"host", "stopped", "running"}: a test:/// host with network 'lab' and two domains, vm1 shut off, vm2 running."""
    path = tmp_path / "lab.xml"
    path.write_text(NODE)
    host = do_add_host(owner, "lab", f"test://{path}")
    conn = adapter.connection_for(host).get()
    conn.lookupByName("vm1").destroy()
    inventory.sync_host(host)
    yield {"host": host, "stopped": Domain.objects.get(host=host, name="vm1"),
           "running": Domain.objects.get(host=host, name="vm2")}
    adapter.forget_host(host.pk)


def interfaces_url(domain, mac=None):
    return f"/api/v1/domains/{domain.uuid}/interfaces" + (f"/{mac}" if mac else "")
