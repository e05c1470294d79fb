"""Chromium on a network's History section on the system libvirtd: a network made and its XML edited from the pages,
the two revisions diffed, the first one rolled back to after the confirm question; the page fits a phone's 390 px."""

import uuid

import pytest

from tests.networks.conftest import remove_networks
from tests.networks.test_network_pages_browser import fits_a_phone

pytestmark = [pytest.mark.system, pytest.mark.browser]

SUBNET = "192.168.236"  # this branch's own subnet on the shared libvirtd


@pytest.fixture
def history_network_name():
    """The network the test makes; whatever is left of it on the system libvirtd is removed, even on failure."""
    name = f"netfin-{uuid.uuid4().hex[:6]}"
    yield name
    remove_networks(name)


def test_chromium_diffs_two_revisions_and_rolls_a_network_back(logged_in_page, served_console, history_network_name):
    from tests.browser_support import accept_confirmation, add_host_in_page

    base_url, _, _ = served_console
    name, page = history_network_name, logged_in_page
    page.goto(f"{base_url}/hosts/")
    host_id = add_host_in_page(page, "libvirtd-netfin")
    page.goto(f"{base_url}/hosts/{host_id}/new-network/")
    form = page.locator("form.network-create")
    form.locator("select[name=forward]").select_option("none")
    form.locator("input[name=network_name]").fill(name)
    form.locator("input[name=ipv4_address]").fill(f"{SUBNET}.1")
    form.locator("input[name=start]").uncheck()
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{base_url}/hosts/{host_id}/networks/{name}/")

    page.locator("a:text('Edit XML')").click()
    xml = page.locator("textarea[name=xml]")
    xml.fill(xml.input_value().replace(f"{SUBNET}.1'", f"{SUBNET}.254'"))
    page.locator("button:text('Save definition')").click()
    page.wait_for_url(f"{base_url}/hosts/{host_id}/networks/{name}/")

    history = page.locator("#history")
    assert history.locator("tr[data-revision]").count() == 2
    history.locator("button:text('Show changes')").click()
    history.locator("[data-diff]").wait_for()
    assert f"{SUBNET}.254" in history.locator("[data-diff] .add").inner_text()
    assert f"{SUBNET}.1'" in history.locator("[data-diff] .remove").inner_text()
    fits_a_phone(page, "network-history-diff")

    history.locator("button[data-rollback='1']").click()
    assert accept_confirmation(page) == f"Define revision 1 of network {name} again?"
    page.locator("#history tr[data-revision='3']").wait_for()
    assert f"Network '{name}' rolled back to revision 1: its definition is now revision 3." in \
        page.locator(".messages").inner_text()
    assert "rollback of 1" in page.locator("#history tr[data-revision='3']").inner_text()
    assert f"{SUBNET}.1'" in page.locator("pre.xml").inner_text()
    fits_a_phone(page, "network-history-rolled-back")
