"""Chromium on the domain page of the demo guest running on the first of the two libvirtds: the Migrate card moves
it live to the second, showing the job's progress (pushed on the events socket, not polled) until it says where the
guest went; the card fits a phone."""

import os
import re
import uuid
from pathlib import Path

import libvirt
import pytest

from tests import browser_support
from tests.migration.conftest import FIRST_URI, SECOND_URI, SHARED, guest_xml, make_pool
from tests.libvirt_support import remove_everything

pytestmark = [pytest.mark.system, pytest.mark.two_hosts, pytest.mark.browser]

SHOTS = Path(os.environ.get("MIGRATION_PAGES_SHOTS", "/tmp/migration-pages-shots"))


@pytest.fixture
def running_guest(libvirtd_pair):
    """(name, uuid, prefix) of the demo guest running on the first libvirtd, its disk in a directory both see;
    everything named migrate-<label> removed from both afterwards, even when the test fails."""
    prefix = f"migrate-{uuid.uuid4().hex[:8]}"
    conns = libvirt.open(FIRST_URI), libvirt.open(SECOND_URI)
    try:
        pool = make_pool(conns[0], prefix, SHARED / prefix)
        make_pool(conns[1], prefix, SHARED / prefix)
        vol = pool.createXML(f"<volume><name>{prefix}.qcow2</name><capacity>{64 << 20}</capacity>"
                             "<target><format type='qcow2'/></target></volume>", 0)
        dom = conns[0].defineXML(guest_xml(f"{prefix}-guest", vol.path()))
        dom.create()
        yield dom.name(), dom.UUIDString(), prefix, conns
    finally:
        for conn in conns:
            remove_everything(conn, prefix)
            conn.close()


def test_chromium_migrates_the_guest_from_the_card(logged_in_page, served_console, running_guest):
    from tests.browser_support import accept_confirmation, add_host_in_page, wait_for_js

    base_url, _, _ = served_console
    page = logged_in_page
    name, domain_uuid, prefix, conns = running_guest
    page.goto(f"{base_url}/")
    add_host_in_page(page, f"{prefix}-first", FIRST_URI)
    second = add_host_in_page(page, f"{prefix}-second", SECOND_URI)
    page.goto(f"{base_url}/")  # the dashboard lists the new hosts' domains
    page.goto(f"{base_url}/domains/{domain_uuid}/")
    card = page.locator("#migrate")
    card.locator("select[name=destination]").select_option(str(second))
    card.locator("input[name=unsafe]").check()
    card.locator("input[name=undefine_source]").check()
    browser_support.fits_a_phone(page, "migrate-card", SHOTS)

    job_reads = []
    page.on("request", lambda request: job_reads.append(request.url)
            if request.method == "GET" and re.search(r"/api/v1/jobs/\d+$", request.url) else None)
    card.locator("button[type=submit]").click()
    # A migration asks first, saying what will happen.
    assert accept_confirmation(page).startswith("Migrate ")
    wait_for_js(page, "document.querySelector('[data-migrate-words]').textContent.startsWith('Moved to host')",
                timeout=120000)
    # The job was read once when the card began to follow it; its progress and end came as socket messages.
    assert len(job_reads) == 1, job_reads
    words = page.locator("[data-migrate-words]").inner_text()
    assert words.startswith(f"Moved to host {prefix}-second."), words
    assert page.locator("[data-migrate-moved] a").is_visible()  # reads the page again: the domain is there now
    assert page.evaluate("(() => { const bar = document.querySelector('[data-migrate-progress]'); "
                         "return bar.value === bar.max; })()")

    assert conns[1].lookupByName(name).isActive()
    assert not any(dom.name() == name for dom in conns[0].listAllDomains(0))
