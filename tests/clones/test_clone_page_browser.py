"""Chromium on the Clone page of the demo guest (shut off) on the system libvirtd: the clone is asked for from the
domain page's Actions (More, Clone), followed on the Jobs page until it succeeded, and the clone exists in libvirt with its own
volume; the form fits a phone's 390 px."""

import os
from pathlib import Path

import pytest

from tests import browser_support
from tests.browser_support import add_host_in_page, wait_for_js
from tests.clones.conftest import guest_xml
from tests.libvirt_support import demo_guest_in_own_pool, own_connection

pytestmark = [pytest.mark.system, pytest.mark.browser]

SHOTS = Path(os.environ.get("CLONE_PAGES_SHOTS", "/tmp/clone-pages-shots"))


@pytest.fixture
def stopped_guest(system_libvirtd, tmp_path):
    """(name, uuid, pool) of the demo guest, shut off, on a qcow2 volume of a dir pool, both named clones-<label>."""
    def xml(name, disk_path):
        return guest_xml(name, disk_path, tmp_path / f"{name}-serial.log")

    with demo_guest_in_own_pool("clones", tmp_path, running=False, xml=xml) as (_prefix, dom, pool):
        yield dom.name(), dom.UUIDString(), pool


def test_chromium_clones_the_guest_from_the_actions_and_follows_the_job(logged_in_page, served_console,
                                                                           stopped_guest):
    base_url, _, _ = served_console
    page = logged_in_page
    name, domain_uuid, pool = stopped_guest
    page.goto(f"{base_url}/")
    add_host_in_page(page, "libvirtd-clones")
    page.goto(f"{base_url}/")
    page.goto(f"{base_url}/domains/{domain_uuid}/")
    # Clone is an action: in the Actions card's More menu.
    page.locator("#domain-actions [data-more-actions]").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Clone").click()
    form = page.locator("form[data-clone-form]")
    assert form.locator("select[name=mode-vda]").input_value() == "copy"
    browser_support.fits_a_phone(page, "domain-clone-form", SHOTS)
    clone_name = name.replace("-guest", "-twin")
    form.locator("input[name=name]").fill(clone_name)
    form.locator("select[name=mode-vda]").select_option("linked")
    # What the jobs page's events socket hears, to tell a page that missed the job's end from a socket that
    # never opened, should the end not show.
    heard, said = [], []
    page.on("websocket", lambda socket: socket.on("framereceived", lambda frame: heard.append(str(frame)[:200])))
    page.on("console", lambda message: said.append(f"{message.type}: {message.text}"[:300]))
    page.on("pageerror", lambda error: said.append(f"page error: {error}"[:300]))
    page.on("framenavigated", lambda frame: said.append(f"navigated: {frame.url}") if frame == page.main_frame else None)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert f"as '{clone_name}'" in page.locator(".messages").inner_text()
    # The clone's row, once its job ended: its state and, when it failed, the job's error.
    clone_row = ("[...document.querySelectorAll('tr[data-job]')].find(row => row.textContent.includes('domain.clone')"
                 " && /^(succeeded|failed|cancelled|interrupted)$/.test(row.querySelector('[data-job-state]').dataset.jobState))")
    try:
        wait_for_js(page, f"!!{clone_row}", timeout=120000)
    except AssertionError:
        # Tell a job still running (slow, or stuck in libvirt) from a page that missed its end.
        jobs = page.evaluate("fetch('/api/v1/jobs?kind=domain.clone', {headers: {Accept: 'application/json'}})"
                             ".then(answer => answer.text())")
        rows = page.evaluate("[...document.querySelectorAll('tr[data-job]')].map(row => row.innerText).join(' | ')")
        raise AssertionError(f"the jobs page shows no ended clone job; its rows: {rows}; its socket heard: "
                             f"{heard}; the page said: {said}; the API says: {jobs}") from None
    # The state as the job says it (the page shows it in the reader's words), and its error if it failed.
    ended = page.evaluate(f"(row => [row.querySelector('[data-job-state]').dataset.jobState, "
                          f"row.querySelector('[data-job-error]')?.textContent || ''])({clone_row})")
    assert ended[0] == "succeeded", ended
    pool.refresh(0)
    assert f"{clone_name}-vda.qcow2" in [vol.name() for vol in pool.listAllVolumes(0)]
    conn = own_connection()
    try:
        assert conn.lookupByName(clone_name).UUIDString() != domain_uuid
    finally:
        conn.close()
