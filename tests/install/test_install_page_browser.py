"""Chromium on the install page against the system libvirtd, as a user would go from nothing to a running VM: a
bootable ISO uploaded on the spot from the form, a new disk in the same pool, "start now"; the domain page says it
runs from that ISO and the guest's shell answers on the serial console page. The form fits a phone's 390 px."""

import os
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from lxml import etree

from tests import browser_support
from tests.browser_support import add_host_in_page, serial_shell_answers
from tests.install.media_support import bootable_iso, missing_boot_loader
from tests.libvirt_support import own_connection, remove_everything

pytestmark = [pytest.mark.system, pytest.mark.browser, pytest.mark.timeout(240)]

SHOTS = Path(os.environ.get("INSTALL_PAGES_SHOTS", "/tmp/install-pages-shots"))


@pytest.fixture
def empty_pool(system_libvirtd, tmp_path):
    """(name, pool) of an empty dir pool install-<hex> on the system libvirtd; everything named after it (the pool,
    its volumes, the domain the test makes) is removed afterwards."""
    why = missing_boot_loader()
    if why:
        pytest.fail(why)
    prefix = f"install-{uuid.uuid4().hex[:8]}"
    conn = own_connection()
    try:
        directory = tmp_path / prefix
        directory.mkdir()
        directory.chmod(0o755)
        pool = conn.storagePoolCreateXML(f"<pool type='dir'><name>{prefix}</name><target><path>{directory}</path>"
                                         "</target></pool>", 0)
        yield prefix, pool
    finally:
        remove_everything(conn, prefix)
        conn.close()


def test_chromium_uploads_an_iso_on_the_spot_and_installs_a_running_guest_from_it(logged_in_page, served_console,
                                                                                   empty_pool, tmp_path):
    base_url, _, _ = served_console
    page = logged_in_page
    prefix, pool = empty_pool
    iso = tmp_path / f"{prefix}.iso"
    iso.write_bytes(bootable_iso(settings.DEMO_GUEST_DIR))
    name = f"{prefix}-vm"

    page.goto(f"{base_url}/")
    host_id = add_host_in_page(page, "libvirtd-install")
    page.goto(f"{base_url}/install/?host={host_id}")
    form = page.locator("form.install-create")
    browser_support.fits_a_phone(page, "install-form", SHOTS)
    form.locator("input[name=name]").fill(name)
    form.locator("input[name=kind][value=iso]").check()
    form.locator("[data-iso-file]").set_input_files(str(iso))
    form.locator("[data-iso-pool]").select_option(prefix)
    form.locator("input[name=memory_mib]").fill("256")
    form.locator("select[name=disk_pool]").select_option(prefix)
    form.locator("input[name=disk_gib]").fill("1")
    form.locator("select[name=network]").select_option("")
    assert form.locator("input[name=start]").is_checked()
    with page.expect_navigation(url="**/domains/**", timeout=60000):
        form.locator("button[type=submit]").click()
    assert f"Domain '{name}' created and started." in page.locator(".messages").inner_text()
    page.screenshot(path=str(SHOTS / "install-created-1280.png"), full_page=True)

    # The whole file arrived, and the new domain runs from it.
    pool.refresh(0)
    uploaded = pool.storageVolLookupByName(iso.name)
    assert Path(uploaded.path()).read_bytes() == iso.read_bytes()
    conn = own_connection()
    try:
        dom = conn.lookupByName(name)
        assert dom.isActive()
        cdrom = etree.fromstring(dom.XMLDesc(0).encode()).find("devices/disk[@device='cdrom']/source")
        assert (cdrom.get("pool"), cdrom.get("volume")) == (prefix, iso.name)
        domain_uuid = dom.UUIDString()
    finally:
        conn.close()
    serial_shell_answers(page, domain_uuid)
