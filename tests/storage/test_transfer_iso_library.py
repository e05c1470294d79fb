"""The ISO library page: what it lists to whom, the volume it makes for an upload, and Chromium uploading."""

import hashlib
import subprocess

import pytest
from django.urls import reverse

from domains.access.grants import do_grant
from domains.access.models import Role
from domains.storage.lookups import pool_row

from .transfer_support import MiB, make_volume

pytestmark = pytest.mark.system


@pytest.mark.django_db(transaction=True)
def test_it_lists_install_media_of_the_pools_a_user_sees_and_hides_the_host_from_an_outsider(
        client, transfer_pool, owner, teammate, outsider):
    host, pool, _ = transfer_pool
    make_volume(pool, "debian.iso", MiB)
    make_volume(pool, "disk.img", MiB)
    client.force_login(owner)
    page = client.get(reverse("host-isos", args=[host.pk])).content.decode()
    assert "debian.iso" in page and "disk.img" not in page and "Upload an ISO" in page

    do_grant(owner, Role.objects.get(name="Pool viewer"), to_user=teammate, pool=pool_row(host, pool))
    client.force_login(teammate)
    page = client.get(reverse("host-isos", args=[host.pk])).content.decode()
    assert "debian.iso" in page and "Upload an ISO" not in page and "Download" not in page

    client.force_login(outsider)
    assert client.get(reverse("host-isos", args=[host.pk])).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_it_makes_an_empty_volume_of_the_file_size_and_refuses_a_name_without_iso(client, transfer_pool, owner):
    host, pool, _ = transfer_pool
    client.force_login(owner)
    made = client.post(reverse("host-iso-create", args=[host.pk]),
                       {"pool": pool.name(), "name": "new.iso", "size": 3 * MiB})
    assert made.status_code == 201
    assert made.json()["content_url"].endswith(f"/pools/{pool.name()}/volumes/new.iso/content")
    assert pool.storageVolLookupByName("new.iso").info()[1] == 3 * MiB
    refused = client.post(reverse("host-iso-create", args=[host.pk]),
                          {"pool": pool.name(), "name": "../x", "size": MiB})
    assert refused.status_code == 400 and ".iso" in refused.json()["message"]


@pytest.mark.browser
def test_chromium_uploads_an_iso_in_parts_with_the_progress_bar_reaching_100_percent(
        logged_in_page, served_console, scratch_pool, tmp_path):
    from tests.browser_support import add_host_in_page, wait_for_js

    base_url, _, _ = served_console
    name, pool, _ = scratch_pool
    iso = tmp_path / "small.iso"
    subprocess.run(["dd", "if=/dev/urandom", f"of={iso}", "bs=1M", "count=72"], check=True, capture_output=True)
    page = logged_in_page
    page.goto(f"{base_url}/hosts/")
    host_id = add_host_in_page(page, "libvirtd-iso")
    page.goto(f"{base_url}/hosts/{host_id}/isos/")
    page.select_option("[data-iso-pool]", name)
    page.set_input_files("[data-iso-file]", str(iso))
    page.click("[data-iso-upload] button[type=submit]")
    wait_for_js(page, "document.querySelector('[data-iso-status]').textContent.startsWith('100 %')")
    # 72 MiB: parts of 32, 32 and 8 MiB (static/js/storage/iso_upload.js), and the SHA-256 of the whole file.
    assert page.evaluate("document.querySelector('[data-iso-progress]').getAttribute('aria-valuenow')") == str(72 * MiB)
    assert page.evaluate("document.querySelector('[data-iso-progress]').getAttribute('aria-valuemax')") == str(72 * MiB)
    assert page.evaluate("document.querySelector('[data-iso-progress] .progress-bar').style.width") == "100%"
    status = page.evaluate("document.querySelector('[data-iso-status]').textContent")
    assert hashlib.sha256(iso.read_bytes()).hexdigest() in status
    pool.refresh(0)
    assert pool.storageVolLookupByName("small.iso").info()[1] == 72 * MiB
    # The library lists it without a reload, and a second visit offers first a pool holding the most media
    # (this one, unless the shared libvirtd has a pool with more).
    page.locator(f"[data-iso-table] tr[data-iso='{name}/small.iso']").wait_for()
    page.goto(f"{base_url}/hosts/{host_id}/isos/")
    media = page.evaluate("[...document.querySelectorAll('[data-iso-table] tr[data-iso]')]"
                          ".map(row => row.dataset.iso.split('/')[0])")
    offered = page.evaluate("document.querySelector('[data-iso-pool]').value")
    assert media.count(offered) == max(media.count(pool) for pool in set(media)) >= 1
