"""The demo guest on the system libvirtd, on a NAT network: its DHCP lease shown, an interface hot-plugged,
its link pulled and put back, and unplugged with libvirt's DEVICE_REMOVED event closing the loop."""

import re
import threading

import pytest

from domains.access.models import AuditEntry
from domains.libvirt import events as libvirt_events
from domains.libvirt import interfaces as libvirt_interfaces
from domains.lifecycle.actions import do_domain_action
from domains.access.lookups import libvirt_domain
from tests.conftest import wait_for
from tests.interfaces.conftest import SUBNET, interfaces_url

pytestmark = [pytest.mark.system]

BOOT_AND_LEASE = 180  # seconds: a TCG boot and a DHCP exchange on a shared, busy machine


def printed_address(serial, nic):
    """The address the guest printed for nic on its serial port, or None yet."""
    text = serial.read_text(errors="replace") if serial.exists() else ""
    found = re.search(rf"virtconsole demo guest: {nic} ({re.escape(SUBNET)}\.\d+)/24", text)
    return found.group(1) if found else None


def lease_address(client, domain, mac):
    for interface in client.get(interfaces_url(domain)).json():
        if interface["mac"] == mac:
            leased = [a for a in interface["addresses"] if a["source"] == "lease"]
            return leased[0]["address"] if leased else None
    return None


def removal_outcomes():
    return list(AuditEntry.objects.filter(action="domain.interface_remove").order_by("pk")
                .values_list("outcome", flat=True))


@pytest.fixture
def removed_devices():
    """The aliases of the devices libvirt reported removed (DEVICE_REMOVED) while the test ran."""
    seen = []
    lock = threading.Lock()

    def listen(event):
        if event.get("type") == "domain.device_removed":
            with lock:
                seen.append(event["device"])

    libvirt_events.subscribe(listen)
    yield seen
    libvirt_events.unsubscribe(listen)


def test_the_demo_guest_gets_a_lease_and_its_interfaces_change_live(as_user, owner, guest_lab, removed_devices):
    client = as_user(owner)
    domain, mac, serial, network = guest_lab["domain"], guest_lab["mac"], guest_lab["serial"], guest_lab["network"]
    do_domain_action(owner, domain, "start")

    # The lease: the guest prints it, the interfaces API and the network's leases show it.
    address = wait_for(lambda: printed_address(serial, "eth0"), timeout=BOOT_AND_LEASE, interval=0.5)
    assert wait_for(lambda: lease_address(client, domain, mac), timeout=30, interval=0.5) == address
    leases = client.get(f"/api/v1/hosts/{guest_lab['host'].pk}/networks/{network.name}/leases").json()
    assert [(lease["ip"], lease["domain"]) for lease in leases if lease["mac"] == mac] == [(address, domain.name)]

    # A filter the host does not have is refused before anything changes; one it has is attached live.
    unknown = client.patch(interfaces_url(domain, mac), {"filter": {"name": f"{network.name}-nope"}},
                           content_type="application/json")
    assert (unknown.status_code, unknown.json()["code"]) == (400, "unknown_filter"), unknown.content
    filtered = client.patch(interfaces_url(domain, mac), {"filter": {"name": "allow-arp"}},
                            content_type="application/json")
    assert (filtered.status_code, filtered.json()["filter"]) == (200, {"name": "allow-arp", "parameters": {}}), \
        filtered.content
    assert "filterref filter='allow-arp'" in libvirt_interfaces.live_xml(libvirt_domain(domain))

    # Hot-plug: live and in the definition at once; the guest asks DHCP on the new NIC and prints its address.
    revisions = domain.revisions.count()
    added = client.post(interfaces_url(domain), {"type": "network", "source": network.name},
                        content_type="application/json")
    assert added.status_code == 201, added.content
    second = added.json()
    assert (second["live"], second["in_definition"]) == (True, True)
    assert domain.revisions.count() == revisions + 1
    second_address = wait_for(lambda: printed_address(serial, "eth1"), timeout=60, interval=0.5)
    assert wait_for(lambda: lease_address(client, domain, second["mac"]), timeout=30, interval=0.5) == second_address

    # Link down and up, live (the running domain's XML says so) and in the definition.
    down = client.patch(interfaces_url(domain, second["mac"]), {"link": "down"}, content_type="application/json")
    assert (down.status_code, down.json()["link"]) == (200, "down"), down.content
    dom = libvirt_domain(domain)
    assert "<link state='down'/>" in libvirt_interfaces.live_xml(dom)
    assert "<link state='down'/>" in libvirt_interfaces.definition_xml(dom)
    up = client.patch(interfaces_url(domain, second["mac"]), {"link": "up"}, content_type="application/json")
    assert (up.status_code, up.json()["link"]) == (200, "up"), up.content
    assert "<link state='down'/>" not in libvirt_interfaces.live_xml(dom)

    # Unplug: gone from the definition at once; from the guest when libvirt's DEVICE_REMOVED event says so.
    removed = client.delete(interfaces_url(domain, second["mac"]))
    assert removed.status_code in (202, 204), removed.content
    assert second["mac"] not in libvirt_interfaces.definition_xml(dom)
    wait_for(lambda: second["alias"] in removed_devices, timeout=60, interval=0.2)
    wait_for(lambda: [i["mac"] for i in client.get(interfaces_url(domain)).json()] == [mac], timeout=30)
    assert removal_outcomes() == ["started", "ok"]

    # A guest that cannot answer (paused) keeps the device: 202, shown pending, until the event once it runs.
    third = client.post(interfaces_url(domain), {"type": "network", "source": network.name},
                        content_type="application/json").json()
    assert wait_for(lambda: lease_address(client, domain, third["mac"]), timeout=60, interval=0.5)
    do_domain_action(owner, domain, "suspend")
    pending = client.delete(interfaces_url(domain, third["mac"]))
    assert pending.status_code == 202, pending.content
    assert (pending.json()["pending"], pending.json()["alias"]) == ("detach", third["alias"])
    [shown] = [i for i in client.get(interfaces_url(domain)).json() if i["mac"] == third["mac"]]
    assert (shown["pending"], shown["live"], shown["in_definition"]) == ("detach", True, False)
    assert removal_outcomes()[-1] == "started"
    do_domain_action(owner, domain, "resume")
    wait_for(lambda: third["alias"] in removed_devices, timeout=60, interval=0.2)
    wait_for(lambda: removal_outcomes()[-1] == "ok", timeout=30, interval=0.2)
    assert [i["mac"] for i in client.get(interfaces_url(domain)).json()] == [mac]
