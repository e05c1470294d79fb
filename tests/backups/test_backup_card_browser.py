"""Chromium on the domain page of the demo guest running on the system libvirtd with a qcow2 disk: a full backup is
taken from the Backups card, shows in its list once its job is done (the card follows the job from the events
socket), and is restored from the card into a new domain; the card fits a phone's 390 px."""

import os
from pathlib import Path

import pytest

from tests import browser_support
from tests.browser_support import open_domain_of_system_host, wait_for_js
from tests.libvirt_support import demo_guest_in_own_pool, own_connection

pytestmark = [pytest.mark.system, pytest.mark.browser]

SHOTS = Path(os.environ.get("BACKUP_PAGES_SHOTS", "/tmp/backup-pages-shots"))
# The card's job is over, and it did not fail.
JOB_OVER = ("!document.querySelector('#backups [data-active-job]') && "
            "!document.querySelector('#backups [data-failed-job]')")


@pytest.fixture
def running_guest(system_libvirtd, tmp_path):
    """(prefix, name, uuid) of the demo guest running on a qcow2 volume of a dir pool, both named bkp-<label>."""
    with demo_guest_in_own_pool("bkp", tmp_path, running=True) as (prefix, dom, _pool):
        yield prefix, dom.name(), dom.UUIDString()


def test_chromium_backs_the_guest_up_from_the_card_and_restores_it_into_a_new_domain(logged_in_page, served_console,
                                                                                    running_guest):
    base_url, _, _ = served_console
    page = logged_in_page
    prefix, _name, domain_uuid = running_guest
    open_domain_of_system_host(page, base_url, "libvirtd-backups", domain_uuid)
    # Snapshots and backups have a page of their own: the domain's Snapshots tab.
    with page.expect_navigation():
        page.locator("nav.domain-tabs a", has_text="Snapshots").click()
    card = page.locator("#backups")
    assert "No backups yet." in card.inner_text()

    form = card.locator("form.backup-create")
    form.locator("select[name=pool]").select_option(prefix)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "Taking a full backup" in page.locator(".messages").inner_text()
    wait_for_js(page, f"!!document.querySelector('#backups [data-backup]') && {JOB_OVER}", timeout=180000)
    assert "full" in card.locator("[data-backup]").inner_text()
    browser_support.fits_a_phone(page, "domain-backups-one", SHOTS)

    restore = card.locator("form.backup-restore")
    card.locator("[data-backup] details summary").click()
    restore.locator("select[name=mode]").select_option("new")
    restore.locator("input[name=name]").fill(f"{prefix}-restored")
    restore.locator("select[name=pool]").select_option(prefix)
    restore.locator("button[data-action=restore]").click()
    with page.expect_navigation():
        browser_support.accept_confirmation(page)
    assert "Restoring backup" in page.locator(".messages").inner_text()
    wait_for_js(page, JOB_OVER, timeout=180000)
    conn = own_connection()
    try:
        restored = conn.lookupByName(f"{prefix}-restored")
        assert not restored.isActive()  # made from the backup, shut off until someone starts it
    finally:
        conn.close()
