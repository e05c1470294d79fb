"""Incremental copy of storage: a qcow2 overlay whose backing image both hosts see (the shared directory) moves
with only the overlay's data copied, and a backing image the destination lacks is refused before anything moves."""

import subprocess

import libvirt
import pytest
from lxml import etree

from domains.lifecycle import inventory
from domains.lifecycle.models import Domain
from tests.libvirt_support import MiB, remove_everything
from tests.migration.conftest import PRIVATE, make_pool, serial_answers
from tests.migration.test_migration_system import migrate, migrated, running_on, start, start_booted

pytestmark = [pytest.mark.system, pytest.mark.two_hosts]
# What the backing image holds: an incremental copy must not send it.
BACKING_DATA = 8 * MiB
# Where the second host's private images directory is, seen from this (the first host's) mount namespace.
SECOND_PRIVATE = "/run/virtconsole-second/lib/images"


@pytest.fixture
def guest_on_overlay(pair):
    """The demo guest on an empty qcow2 overlay in pool <prefix>-top (private to each host; the second's of the same
    name and directory empty) over a backing image holding BACKING_DATA, in the shared pool <prefix>."""
    first_conn, second_conn = pair["conns"]
    top = f"{pair['prefix']}-top"

    def make(second_has_backing=True):
        domain = pair["guest"](shared=True)
        base = first_conn.storagePoolLookupByName(pair["prefix"]).storageVolLookupByName(f"{pair['prefix']}.qcow2")
        subprocess.run(["qemu-io", "-f", "qcow2", "-c", f"write -P 0x5a 0 {BACKING_DATA}", base.path()], check=True,
                       capture_output=True)
        if not second_has_backing:
            second_conn.storagePoolLookupByName(pair["prefix"]).destroy()
        overlay = make_pool(first_conn, top, PRIVATE / top).createXML(
            f"<volume><name>{top}.qcow2</name><capacity>{64 * MiB}</capacity><target><format type='qcow2'/></target>"
            f"<backingStore><path>{base.path()}</path><format type='qcow2'/></backingStore></volume>", 0)
        make_pool(second_conn, top, PRIVATE / top)
        dom = first_conn.lookupByUUID(domain.uuid.bytes)
        first_conn.defineXML(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE).replace(base.path(), overlay.path()))
        inventory.sync_host(pair["first"])
        return domain, base.path(), overlay.path()

    yield make
    # The pools go first: the pair's teardown refreshes every pool of its prefix, and a pool whose directory is
    # gone cannot refresh.
    for conn in pair["conns"]:
        remove_everything(conn, top)
    for directory in (PRIVATE / top, f"{SECOND_PRIVATE}/{top}"):
        subprocess.run(["rm", "-rf", str(directory)], check=False)


def test_only_the_overlay_is_copied_when_its_backing_is_on_both_hosts(owner, pair, guest_on_overlay):
    first_conn, second_conn = pair["conns"]
    domain, base_path, overlay_path = guest_on_overlay()
    start_booted(first_conn, domain)

    job = migrated(owner, domain, pair["second"], copy_storage="incremental", undefine_source=True)

    assert job.result["copied_disks"] == ["vda"]
    assert job.result["statistics"].get("disk_processed", 0) < BACKING_DATA, job.result["statistics"]
    assert running_on(second_conn, domain)
    copied = etree.fromstring(second_conn.storageVolLookupByPath(overlay_path).XMLDesc(0).encode())
    assert copied.findtext("backingStore/path") == base_path
    assert serial_answers(second_conn, domain.name)
    assert Domain.objects.get(pk=domain.pk).host_id == pair["second"].pk


def test_an_incremental_copy_is_refused_when_the_destination_lacks_the_backing_image(owner, pair, guest_on_overlay):
    first_conn, second_conn = pair["conns"]
    domain, _base_path, _overlay_path = guest_on_overlay(second_has_backing=False)
    start(first_conn, domain)

    answer = migrate(owner, domain, pair["second"], copy_storage="incremental")

    assert answer.status_code == 409 and answer.json()["code"] == "backing_missing", answer.json()
    assert running_on(first_conn, domain) and not running_on(second_conn, domain)
