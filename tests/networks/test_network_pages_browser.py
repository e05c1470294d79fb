"""Chromium on the network pages of the system libvirtd: a NAT network made from the form, started, given a static
DHCP host, stopped and deleted through its page; the open list follows changes made elsewhere; every page fits a
phone's 390 px."""

import os
import subprocess
import uuid
from pathlib import Path

import pytest

from tests import browser_support
from tests.networks.conftest import remove_networks

pytestmark = [pytest.mark.system, pytest.mark.browser]

# Screenshots for people to look at; outside the repository.
SHOTS = Path(os.environ.get("NET_PAGES_SHOTS", "/tmp/net-pages-shots"))
SUBNET = "192.168.226"


@pytest.fixture
def form_network_name():
    """The name the form gives its network; whatever the test leaves of it on the system libvirtd is removed."""
    name = f"netpages-{uuid.uuid4().hex[:6]}"
    yield name
    remove_networks(name)


def virsh(*args):
    subprocess.run(["virsh", "-c", "qemu:///system", *args], check=True, capture_output=True, timeout=60)


def fits_a_phone(page, label):
    browser_support.fits_a_phone(page, label, SHOTS)


def test_chromium_makes_starts_stops_and_deletes_a_network_from_its_pages(logged_in_page, served_console,
                                                                         form_network_name):
    from tests.browser_support import accept_confirmation, add_host_in_page, wait_for_js

    base_url, _, _ = served_console
    name = form_network_name
    page = logged_in_page
    page.goto(f"{base_url}/hosts/")
    host_id = add_host_in_page(page, "libvirtd-networks")
    page.goto(f"{base_url}/hosts/")
    page.locator(f"tr[data-host='{host_id}'] a:text('Networks')").click()
    page.locator("a:text('Define a network')").click()

    form = page.locator("form.network-create")
    ipv4 = form.locator("fieldset:has(legend:text('IPv4'))")
    form.locator("select[name=forward]").select_option("bridge")
    assert ipv4.is_hidden() and form.locator("input[name=bridge]").is_visible()
    form.locator("select[name=forward]").select_option("nat")
    assert ipv4.is_visible() and form.locator("input[name=device]").is_hidden()
    form.locator("input[name=network_name]").fill(name)
    ipv4.locator("input[name=ipv4_address]").fill(f"{SUBNET}.1")
    ipv4.locator("input[name=ipv4_dhcp_start]").fill(f"{SUBNET}.10")
    ipv4.locator("input[name=ipv4_dhcp_end]").fill("192.168.227.50")  # outside the subnet: refused, kept
    form.locator("input[name=start]").uncheck()
    fits_a_phone(page, "create-form")
    form.locator("button[type=submit]").click()
    page.locator("[data-field-error=ipv4]").wait_for()
    assert page.locator("input[name=network_name]").input_value() == name
    assert not page.locator("input[name=start]").is_checked()
    fits_a_phone(page, "create-refused")

    page.locator("input[name=ipv4_dhcp_end]").fill(f"{SUBNET}.50")
    page.locator("form.network-create button[type=submit]").click()
    page.wait_for_url(f"{base_url}/hosts/{host_id}/networks/{name}/")
    state = page.locator("[data-field=state]")
    assert state.inner_text() == "inactive"

    page.locator("button[data-action=start]").click()
    page.locator("button[data-action=stop]").wait_for()
    assert state.inner_text() == "active"
    assert f"Network '{name}' started." in page.locator(".messages").inner_text()
    assert "No leases yet" in page.locator("table.leases").inner_text()
    static = page.locator("form[action$='/dhcp-hosts/add/']")
    static.locator("input[name=mac]").fill("52:54:00:26:00:01")
    static.locator("input[name=ip]").fill(f"{SUBNET}.60")
    static.locator("input[name=name]").fill("web1")
    static.locator("button[type=submit]").click()
    page.locator("tr[data-dhcp-host='52:54:00:26:00:01']").wait_for()
    fits_a_phone(page, "network-active")
    page.goto(f"{base_url}/hosts/{host_id}/networks/")
    row = page.locator(f"tr[data-network-name='{name}']")
    assert "active" in row.inner_text() and f"{SUBNET}.10 – {SUBNET}.50" in row.inner_text()
    fits_a_phone(page, "networks-list")
    # Stopped and started behind the console's back: the open list follows libvirt's events, without a reload.
    row_state = f"document.querySelector(\"tr[data-network-name='{name}'] [data-field=state]\").textContent.trim()"
    virsh("net-destroy", name)
    wait_for_js(page, f"{row_state} === 'inactive'")
    virsh("net-start", name)
    wait_for_js(page, f"{row_state} === 'active'")

    row.locator("a").click()
    page.locator("a:text('Edit XML')").click()
    assert f"<name>{name}</name>" in page.locator("textarea[name=xml]").input_value()
    fits_a_phone(page, "network-xml")
    page.go_back()
    page.locator("button[data-action=stop]").click()
    assert accept_confirmation(page).startswith(f"Stop network {name}?")
    page.locator("button[data-action=start]").wait_for()
    assert page.locator("[data-field=state]").inner_text() == "inactive"
    page.locator("button:text('Delete')").click()
    assert accept_confirmation(page) == f"Stop and undefine network {name}?"
    page.wait_for_url(f"{base_url}/hosts/{host_id}/networks/")
    wait_for_js(page, f"!document.querySelector(\"tr[data-network-name='{name}']\")")
    assert f"Network '{name}' stopped and undefined." in page.locator(".messages").inner_text()

    embedded = page.evaluate("fetch('/api/v1/hosts').then(r => r.json())"
                             ".then(body => (body.results || body).find(h => h.embedded).id)")
    page.goto(f"{base_url}/hosts/{embedded}/networks/")
    assert "need a libvirtd host" in page.locator("[role=alert]").inner_text()
    fits_a_phone(page, "embedded-networks")
    page.goto(f"{base_url}/hosts/")
    fits_a_phone(page, "hosts")
