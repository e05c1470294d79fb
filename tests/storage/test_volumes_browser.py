"""Chromium on a pool page: a volume made, grown and deleted through the volume section's forms."""

import pytest

pytestmark = [pytest.mark.system, pytest.mark.browser]

MiB = 1024 * 1024


def test_chromium_creates_resizes_and_deletes_a_volume_on_the_pool_page(logged_in_page, served_console,
                                                                       scratch_pool):
    from tests.browser_support import accept_confirmation, add_host_in_page, wait_for_js

    base_url, _, _ = served_console
    name, pool, _ = scratch_pool
    page = logged_in_page
    page.goto(f"{base_url}/hosts/")
    host_id = add_host_in_page(page, "libvirtd-volumes")
    page.goto(f"{base_url}/hosts/{host_id}/pools/{name}/")

    create = page.locator("h3:text('New volume') + form")
    create.locator("input[name=name]").fill("disk.qcow2")
    create.locator("input[name=capacity]").fill("64")
    create.locator("select[name=format]").select_option("qcow2")
    create.locator("button[type=submit]").click()
    row = page.locator("tr[data-volume='disk.qcow2']")
    row.wait_for()
    assert "qcow2" in row.inner_text() and "64\xa0MiB" in row.inner_text()
    pool.refresh(0)
    assert pool.storageVolLookupByName("disk.qcow2").info()[1] == 64 * MiB

    row.locator("button:text('Manage')").click()
    actions = page.locator("tr[data-volume-actions='disk.qcow2']")
    actions.locator("input[name=capacity]").fill("128")
    actions.locator("button:text('Resize')").click()
    wait_for_js(page, "document.querySelector(\"tr[data-volume='disk.qcow2']\").textContent.includes('128\\u00a0MiB')")
    assert pool.storageVolLookupByName("disk.qcow2").info()[1] == 128 * MiB

    row = page.locator("tr[data-volume='disk.qcow2']")
    row.locator("button:text('Manage')").click()
    actions = page.locator("tr[data-volume-actions='disk.qcow2']")
    actions.locator("input[name=confirm]").check()
    actions.locator("button:text('Delete')").click()
    accept_confirmation(page)
    page.locator("tr[data-volume='disk.qcow2']").wait_for(state="detached")
    pool.refresh(0)
    assert pool.listVolumes() == []
    from pathlib import Path
    from tests.browser_support import fits_a_phone
    fits_a_phone(page, "pool", Path("/var/tmp/vc-shots-storage"))
