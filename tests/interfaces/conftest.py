"""Interface fixtures: a test:/// host with a network, a stopped and a running domain (each with one interface)."""

import re
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

from domains.hosts.actions import do_add_host
from domains.hosts.embedded import demo_domain_xml
from domains.libvirt import adapter
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain
from domains.networks.actions import do_define_network
from tests.libvirt_support import own_connection, remove_everything

REPO = Path(__file__).resolve().parents[2]

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


# --- the system libvirtd: a NAT network with DHCP and the demo guest on it ---

SYSTEM_PREFIX = "net-guest-"
SUBNET = "192.168.229"  # no other test uses it (grep the tests before taking another)


@pytest.fixture(scope="session")
def dhcp_demo_guest():
    """The demo guest build is the one whose initramfs runs DHCP clients (older ones have no virtio-net driver)."""
    wanted = re.search(r"^GUEST_VERSION=(\d+)", (REPO / "scripts/build-demo-guest.sh").read_text(), re.M).group(1)
    stamp = Path(settings.DEMO_GUEST_DIR) / "VERSION"
    built = stamp.read_text().strip() if stamp.exists() else "none"
    if built != wanted:
        pytest.fail(f"The demo guest in {settings.DEMO_GUEST_DIR} is build {built}, these tests need build {wanted} "
                    "(it runs DHCP clients): run 'bash scripts/build-demo-guest.sh' (make test does).")


def guest_mac(label):
    return "52:54:00:e1:" + label[:2] + ":" + label[2:4]


def guest_on_network(name, mac, network_name, serial):
    """The demo guest's XML with one interface (mac) on network_name and its serial port written to the file serial."""
    xml = demo_domain_xml(settings.DEMO_GUEST_DIR, name)
    xml = re.sub(r"<interface type='user'>.*?</interface>",
                 f"<interface type='network'><mac address='{mac}'/><source network='{network_name}'/>"
                 "<model type='virtio'/></interface>", xml, flags=re.S)
    return re.sub(r"<serial type='pty'>.*?</serial>\s*<console type='pty'>.*?</console>",
                  f"<serial type='file'><source path='{serial}'/><target port='0'/></serial>", xml, flags=re.S)


@contextmanager
def nat_guest(owner, tmp_path, prefix, subnet, bridge_prefix):
    """{"host", "network", "domain", "mac", "serial"}: a started NAT network with DHCP on subnet (e.g. "192.168.229")
    and the demo guest defined (not started) on it with one interface, its serial port written to the file serial;
    every domain and network named prefix... removed afterwards, even when the test fails."""
    label = uuid.uuid4().hex[:6]
    prefix = f"{prefix}{label}"
    host = do_add_host(owner, "system", "qemu:///system")
    try:
        network, _handle = do_define_network(owner, host, fields={
            "name": f"{prefix}-net", "forward": "nat", "bridge": f"{bridge_prefix}{label}",
            "ipv4": {"address": f"{subnet}.1", "prefix": 24,
                     "dhcp": {"start": f"{subnet}.10", "end": f"{subnet}.50"}}}, start=True)
        serial = tmp_path / "serial.log"
        mac = guest_mac(label)
        adapter.connection_for(host).get().defineXML(guest_on_network(f"{prefix}-guest", mac, network.name, serial))
        inventory.sync_host(host)
        domain = Domain.objects.get(host=host, name=f"{prefix}-guest")
        yield {"host": host, "network": network, "domain": domain, "mac": mac, "serial": serial}
    finally:
        adapter.forget_host(host.pk)
        conn = own_connection()
        try:
            remove_everything(conn, prefix)
        finally:
            conn.close()


def printed_address(serial, nic, subnet):
    """The address the demo guest printed for nic on its serial port (file serial), or None yet."""
    text = serial.read_text(errors="replace") if serial.exists() else ""
    found = re.search(rf"virtconsole demo guest: {nic} ({re.escape(subnet)}\.\d+)/24", text)
    return found.group(1) if found else None


@pytest.fixture
def guest_lab(system_libvirtd, dhcp_demo_guest, transactional_db, owner, tmp_path):
    """nat_guest on SUBNET, named net-guest-..."""
    with nat_guest(owner, tmp_path, SYSTEM_PREFIX, SUBNET, "vcg") as lab:
        yield lab
