"""Chromium clones the demo guest (shut off) from the first libvirtd onto the second: the Clone page's Host select
lists the second host, choosing it shows that host's pools, and the clone's job is followed on the Jobs page until the
clone exists there."""

import os
import shutil
import uuid
from pathlib import Path

import libvirt
import pytest

from tests import browser_support
from tests.browser_support import add_host_in_page, wait_for_js
from tests.clones.conftest import guest_xml
from tests.libvirt_support import (
    FIRST_URI,
    PRIVATE,
    SECOND_PRIVATE,
    SECOND_URI,
    MiB,
    make_pool,
    remove_everything,
)

pytestmark = [pytest.mark.system, pytest.mark.two_hosts, pytest.mark.browser]

SHOTS = Path(os.environ.get("CLONE_PAGES_SHOTS", "/tmp/clone-pages-shots"))


@pytest.fixture
def guest_on_the_first(libvirtd_pair, tmp_path):
    """(name, uuid, prefix) of the demo guest, shut off, on a qcow2 volume of the pool clones-<hex> of the first
    libvirtd, with an empty pool of that name on the second; made through connections of the test's own (the served
    console has its own database); everything named clones-<hex> removed afterwards on both."""
    prefix = f"clones-{uuid.uuid4().hex[:8]}"
    first = libvirt.open(FIRST_URI)
    try:
        pool = make_pool(first, prefix, PRIVATE / prefix)
        second = libvirt.open(SECOND_URI)
        make_pool(second, prefix, PRIVATE / prefix)
        second.close()
        vol = pool.createXML(f"<volume><name>{prefix}-base.qcow2</name><capacity>{64 * MiB}</capacity>"
                             "<target><format type='qcow2'/></target></volume>", 0)
        dom = first.defineXML(guest_xml(f"{prefix}-guest", vol.path(), tmp_path / f"{prefix}-guest-serial.log"))
        yield dom.name(), dom.UUIDString(), prefix
    finally:
        first.close()
        for uri in (FIRST_URI, SECOND_URI):
            clearing = libvirt.open(uri)
            try:
                remove_everything(clearing, prefix)
            finally:
                clearing.close()
        for directory in (PRIVATE / prefix, SECOND_PRIVATE / prefix):
            shutil.rmtree(directory, ignore_errors=True)


def test_chromium_clones_the_guest_onto_the_second_host_chosen_on_the_clone_page(logged_in_page, served_console,
                                                                              guest_on_the_first):
    base_url, _, _ = served_console
    page = logged_in_page
    name, domain_uuid, prefix = guest_on_the_first
    page.goto(f"{base_url}/")
    add_host_in_page(page, "first", FIRST_URI)
    second_id = add_host_in_page(page, "second", SECOND_URI)
    page.goto(f"{base_url}/")  # the domain list reads the new hosts' domains in
    page.goto(f"{base_url}/domains/{domain_uuid}/")
    # Clone is an action: in the Actions card's More menu.
    page.locator("#domain-actions [data-more-actions]").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Clone").click()
    choose = page.locator("form[data-clone-host-form]")
    choose.locator("select[data-clone-host]").select_option(str(second_id))
    with page.expect_navigation():
        choose.locator("button[type=submit]").click()
    form = page.locator("form[data-clone-form]")
    assert form.locator("input[name=host]").input_value() == str(second_id)
    assert "linked" not in form.locator("select[name=mode-vda]").inner_text()
    assert "its own pool's name" in form.locator("select[name=pool-vda]").inner_text()
    browser_support.fits_a_phone(page, "domain-clone-to-host-form", SHOTS)
    clone_name = name.replace("-guest", "-far")
    form.locator("input[name=name]").fill(clone_name)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert f"as '{clone_name}'" in page.locator(".messages").inner_text()
    # This clone's row (the served console may hold other tests' clone jobs), once its job ended.
    clone_row = ("[...document.querySelectorAll('tr[data-job]')].find(row => row.textContent.includes('domain.clone')"
                 f" && row.textContent.includes('{name}')"
                 " && /^(succeeded|failed|cancelled|interrupted)$/.test(row.querySelector('[data-job-state]').dataset.jobState))")
    wait_for_js(page, f"!!{clone_row}", timeout=120000)
    # The state as the job says it (the page shows it in the reader's words), and its error if it failed.
    ended = page.evaluate(f"(row => [row.querySelector('[data-job-state]').dataset.jobState, "
                          f"row.querySelector('[data-job-error]')?.textContent || ''])({clone_row})")
    assert ended[0] == "succeeded", ended
    second = libvirt.open(SECOND_URI)
    try:
        assert second.lookupByName(clone_name).UUIDString() != domain_uuid
        pool = second.storagePoolLookupByName(prefix)
        pool.refresh(0)
        assert f"{clone_name}-vda.qcow2" in [vol.name() for vol in pool.listAllVolumes(0)]
    finally:
        second.close()
