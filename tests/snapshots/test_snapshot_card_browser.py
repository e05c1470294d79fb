"""Chromium on the domain page of the demo guest running on the system libvirtd with a qcow2 disk: a snapshot is
taken from the Snapshots card, shows in its tree once its job is done, and the domain is reverted to it; the card
fits a phone's 390 px."""

import os
from pathlib import Path

import libvirt
import pytest

from tests import browser_support
from tests.conftest import wait_for
from tests.libvirt_support import demo_guest_in_own_pool, own_connection

pytestmark = [pytest.mark.system, pytest.mark.browser]

# Screenshots for people to look at; outside the repository.
SHOTS = Path(os.environ.get("SNAPSHOT_PAGES_SHOTS", "/tmp/snapshot-pages-shots"))


@pytest.fixture
def running_guest(system_libvirtd, tmp_path):
    """(name, uuid) of the demo guest running on a qcow2 volume of a dir pool, both named snaps-<label>."""
    with demo_guest_in_own_pool("snaps", tmp_path, running=True) as (_prefix, dom, _pool):
        yield dom.name(), dom.UUIDString()


def fits_a_phone(page, label):
    browser_support.fits_a_phone(page, label, SHOTS)


def test_chromium_takes_a_snapshot_from_the_card_and_reverts_to_it(logged_in_page, served_console, running_guest):
    from tests.browser_support import accept_confirmation, open_domain_of_system_host, wait_for_js

    base_url, _, _ = served_console
    page = logged_in_page
    name, domain_uuid = running_guest
    open_domain_of_system_host(page, base_url, "libvirtd-snapshots", domain_uuid)
    # Snapshots and backups have a page of their own: the domain's Snapshots tab.
    with page.expect_navigation():
        page.locator("nav.domain-tabs a", has_text="Snapshots").click()
    card = page.locator("#snapshots")
    assert "No snapshots yet." in card.inner_text()
    fits_a_phone(page, "domain-snapshots-empty")

    form = card.locator("form.snapshot-create")
    form.locator("input[name=name]").fill("from-the-card")
    form.locator("textarea[name=description]").fill("taken in Chromium")
    assert form.locator("select[name=kind]").input_value() == "internal"
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    message = page.locator(".messages").inner_text()
    assert "Taking snapshot 'from-the-card'" in message, message
    # The card re-reads its body while the job runs; the snapshot shows once it is done.
    wait_for_js(page, "!!document.querySelector(\"[data-snapshot='from-the-card'] [data-field=current]\") && "
                      "!document.querySelector('[data-active-job]')", timeout=180000)
    assert "taken in Chromium" in card.inner_text()
    assert not page.locator("[data-failed-job]").count()
    fits_a_phone(page, "domain-snapshots-one")

    row = card.locator("[data-snapshot='from-the-card']")
    row.locator("select[name=state]").select_option("paused")
    row.locator("button[data-action=revert]").click()
    with page.expect_navigation():
        accept_confirmation(page)
    assert "Reverting to snapshot 'from-the-card'" in page.locator(".messages").inner_text()
    wait_for_js(page, "!!document.querySelector(\"[data-snapshot='from-the-card']\") && "
                      "!document.querySelector('[data-active-job]')", timeout=180000)
    assert not page.locator("[data-failed-job]").count(), page.locator("[data-failed-job]").inner_text()
    conn = own_connection()
    try:
        state = wait_for(lambda: conn.lookupByName(name).state()[0] == libvirt.VIR_DOMAIN_PAUSED, timeout=30)
    finally:
        conn.close()
    assert state
