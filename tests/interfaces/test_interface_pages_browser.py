"""Chromium on the domain page of the demo guest running on the system libvirtd, on a NAT network: the Interfaces card
shows its DHCP lease, a second interface is hot-plugged from the page and listed with its own lease, then removed;
the page fits a phone's 390 px."""

import os
import uuid
from pathlib import Path

import pytest

from tests import browser_support
from tests.conftest import wait_for
from tests.interfaces.conftest import guest_mac, guest_on_network, printed_address
from tests.libvirt_support import own_connection, remove_everything

pytestmark = [pytest.mark.system, pytest.mark.browser]

# Screenshots for people to look at; outside the repository.
SHOTS = Path(os.environ.get("IFACE_PAGES_SHOTS", "/tmp/iface-pages-shots"))
SUBNET = "192.168.227"  # no other test starts a network on it (grep the tests before taking another)
BOOT_AND_LEASE = 180  # seconds: a TCG boot and a DHCP exchange on a shared, busy machine


@pytest.fixture
def lab_names(system_libvirtd, dhcp_demo_guest, tmp_path):
    """Names for the network and the demo guest the test makes on the system libvirtd (ifpages-...), and the file
    the guest's serial port writes; both removed afterwards, even when the test fails. No database here: the served
    console has its own, and Playwright's loop forbids this process's ORM in the test."""
    label = uuid.uuid4().hex[:6]
    prefix = f"ifpages-{label}"
    yield {"network": f"{prefix}-net", "guest": f"{prefix}-guest", "bridge": f"vip{label}", "mac": guest_mac(label),
           "serial": tmp_path / "serial.log"}
    conn = own_connection()
    try:
        remove_everything(conn, prefix)
    finally:
        conn.close()


def start_guest(names):
    """Define and start the demo guest on the network (its own libvirt connection); its UUID."""
    conn = own_connection()
    try:
        dom = conn.defineXML(guest_on_network(names["guest"], names["mac"], names["network"], names["serial"]))
        dom.create()
        return dom.UUIDString()
    finally:
        conn.close()


def make_network_in_page(page, host_id, names):
    """A started NAT network with DHCP on SUBNET, made through the API from the signed-in page."""
    body = {"name": names["network"], "forward": "nat", "bridge": names["bridge"], "start": True,
            "ipv4": {"address": f"{SUBNET}.1", "prefix": 24, "dhcp": {"start": f"{SUBNET}.10", "end": f"{SUBNET}.50"}}}
    status = page.evaluate("""async ([hostId, body]) => {
        const csrf = document.cookie.match(/csrftoken=([^;]+)/)[1];
        const made = await fetch(`/api/v1/hosts/${hostId}/networks`, {method: 'POST', headers: {
            'Content-Type': 'application/json', 'X-CSRFToken': csrf}, body: JSON.stringify(body)});
        return made.status + ' ' + await made.text();
    }""", [host_id, body])
    assert status.startswith("201"), status


def fits_a_phone(page, label):
    browser_support.fits_a_phone(page, label, SHOTS)


def row_text(page, mac):
    return page.evaluate(f"(document.querySelector(\"tr[data-mac='{mac}']\") || {{}}).innerText || ''")


def test_chromium_shows_the_guests_lease_and_hot_plugs_and_removes_an_interface(logged_in_page, served_console,
                                                                               lab_names):
    from tests.browser_support import accept_confirmation, add_host_in_page, wait_for_js

    base_url, _, _ = served_console
    page = logged_in_page
    names = lab_names
    mac, serial, network = names["mac"], names["serial"], names["network"]
    page.goto(f"{base_url}/")
    host_id = add_host_in_page(page, "libvirtd-interfaces")
    make_network_in_page(page, host_id, names)
    domain_uuid = start_guest(names)
    page.goto(f"{base_url}/")  # the dashboard lists the new host's domains
    address = wait_for(lambda: printed_address(serial, "eth0", SUBNET), timeout=BOOT_AND_LEASE, interval=0.5)

    # The lease: the card re-reads its table while a running guest's interface has no address yet.
    page.goto(f"{base_url}/domains/{domain_uuid}/")
    card = page.locator("#interfaces")
    wait_for_js(page, f"(document.querySelector(\"tr[data-mac='{mac}'] [data-field=addresses]\") || {{}})"
                      f".innerText?.includes('{address}')", timeout=60000)
    first = row_text(page, mac)
    assert "DHCP lease" in first and network in first and "virtio" in first and "up" in first
    assert card.locator(f"tr[data-mac='{mac}'] a", has_text=network).get_attribute("href").endswith(
        f"/networks/{network}/")
    fits_a_phone(page, "domain-interfaces")

    # Hot-plug from the add form; the new row is live and gets its own lease.
    card.locator("summary", has_text="Add an interface").click()
    form = card.locator("form.interface-add")
    form.locator("select[name=network]").select_option(network)
    # virtio: the demo guest's only NIC driver; no bandwidth: a live limit needs tc's sfq, missing on some kernels.
    assert form.locator("select[name=model]").input_value() == "virtio"
    fits_a_phone(page, "domain-interfaces-add-form")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    message = page.locator(".messages").inner_text()
    assert "added to the running guest and its definition" in message, message
    second = message.split("Interface ")[1].split(" ")[0]
    second_address = wait_for(lambda: printed_address(serial, "eth1", SUBNET), timeout=90, interval=0.5)
    wait_for_js(page, f"(document.querySelector(\"tr[data-mac='{second}'] [data-field=addresses]\") || {{}})"
                      f".innerText?.includes('{second_address}')", timeout=60000)
    assert "DHCP lease" in row_text(page, second)
    fits_a_phone(page, "domain-interfaces-two")

    # Pull its link and plug it back, live.
    page.locator(f"tr[data-mac='{second}'] button[data-action=link-down]").click()
    page.locator(f"tr[data-mac='{second}'] button[data-action=link-up]").wait_for()
    assert "down" in page.locator(f"tr[data-mac='{second}'] [data-field=link]").inner_text()
    page.locator(f"tr[data-mac='{second}'] button[data-action=link-up]").click()
    page.locator(f"tr[data-mac='{second}'] button[data-action=link-down]").wait_for()

    # Remove it: gone at once, or pending until the guest lets go (the DEVICE_REMOVED event re-reads the table).
    page.locator(f"tr[data-mac='{second}'] button[data-action=remove]").click()
    with page.expect_navigation():
        accept_confirmation(page)
    said = page.locator(".messages").inner_text()
    assert f"Interface {second} removed" in said, said
    wait_for_js(page, f"!document.querySelector(\"tr[data-mac='{second}']\")", timeout=60000)
    assert row_text(page, mac)
    fits_a_phone(page, "domain-interfaces-removed")
