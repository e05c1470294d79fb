"""Clone fixtures: a test:/// host whose domains have a disk on a volume of an in-memory pool, API callers, and
what a refusal must leave as it was."""

import re
import shutil
import uuid
from pathlib import Path

import libvirt
import pytest
from django.conf import settings

from domains.hosts.actions import do_add_host
from domains.jobs.models import Job
from domains.libvirt import adapter
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain
from tests.libvirt_support import (
    FIRST_URI,
    PRIVATE,
    SECOND_PRIVATE,
    SECOND_URI,
    MiB,
    guest_with_disk,
    make_pool,
    own_connection,
    remove_everything,
)

# A test-driver domain with a writable disk on a volume, a CD-ROM, a NIC with a fixed MAC, a VNC display on a fixed
# port and a serial port written to a file.
TEST_DOMAIN = """<domain type='test'>
  <name>{name}</name>
  <uuid>{uuid}</uuid>
  <memory>65536</memory>
  <vcpu>1</vcpu>
  <sysinfo type='smbios'><system><entry name='uuid'>{uuid}</entry></system></sysinfo>
  <os><type>hvm</type><smbios mode='sysinfo'/></os>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{disk}'/>
      <target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='cdrom'><source file='{iso}'/><target dev='hdc' bus='ide'/><readonly/></disk>
    <interface type='user'><mac address='52:54:00:12:34:56'/></interface>
    <serial type='file'><source path='{serial}'/><target port='0'/></serial>
    <graphics type='vnc' port='5977' autoport='no' websocket='5777'/>
  </devices>
</domain>"""


@pytest.fixture
def lab(transactional_db, make_test_host, tmp_path):
    """{"host", "conn", "pool", "stopped", "running", "disk"}: a test:/// host with the in-memory dir pool 'clones'
    holding src.img and cd.iso, the shut-off domain 'source' and the running 'busy' using them."""
    host = make_test_host("clones", domains=0)
    conn = adapter.connection_for(host).get()
    directory = tmp_path / "pool"
    pool = conn.storagePoolCreateXML(f"<pool type='dir'><name>clones</name><target><path>{directory}</path>"
                                     "</target></pool>", 0)
    other = conn.storagePoolCreateXML(f"<pool type='dir'><name>other</name><target><path>{tmp_path / 'other'}"
                                      "</path></target></pool>", 0)
    disk = pool.createXML(f"<volume><name>src.img</name><capacity>{8 * MiB}</capacity><allocation>{MiB}"
                          "</allocation><target><format type='raw'/></target></volume>", 0)
    iso = pool.createXML(f"<volume><name>cd.iso</name><capacity>{MiB}</capacity>"
                         "<target><format type='raw'/></target></volume>", 0)
    busy_disk = pool.createXML(f"<volume><name>busy.img</name><capacity>{MiB}</capacity>"
                               "<target><format type='raw'/></target></volume>", 0)
    conn.defineXML(TEST_DOMAIN.format(name="source", uuid="11111111-1111-4111-8111-111111111111", disk=disk.path(),
                                      iso=iso.path(), serial=tmp_path / "source-serial.log"))
    busy = conn.defineXML(TEST_DOMAIN.format(name="busy", uuid="22222222-2222-4222-8222-222222222222",
                                             disk=busy_disk.path(), iso=iso.path(), serial=tmp_path / "busy.log"))
    busy.create()
    inventory.sync_host(host)
    return {"host": host, "conn": conn, "pool": pool, "other": other, "disk": disk.path(),
            "stopped": Domain.objects.get(host=host, name="source"), "running": Domain.objects.get(host=host,
                                                                                                name="busy")}


def clone_url(domain):
    return f"/api/v1/domains/{domain.uuid}/clone"


def volume_names(*pools):
    names = []
    for pool in pools:
        pool.refresh(0)
        names += sorted(f"{pool.name()}/{vol.name()}" for vol in pool.listAllVolumes(0))
    return names


def snapshot_of_world(lab):
    """What a refused clone must leave as it was: the host's domains and volumes, the Domain rows and jobs."""
    return (sorted(dom.name() for dom in lab["conn"].listAllDomains(0)), volume_names(lab["pool"], lab["other"]),
            sorted(Domain.objects.values_list("name", flat=True)), Job.objects.count())


# --- the system libvirtd: the demo guest on a qcow2 volume, its serial port written to a file ---

def guest_xml(name, disk_path, serial):
    """The demo guest (snapshots' guest_with_disk: qcow2 vda) with a user-mode NIC and its serial port, the shell's,
    written to the file serial."""
    xml = guest_with_disk(name, disk_path)
    xml = xml.replace("<devices>", "<devices><interface type='user'><model type='virtio'/></interface>", 1)
    return re.sub(r"<serial type='pty'>.*?</serial>\s*<console type='pty'>.*?</console>",
                  f"<serial type='file'><source path='{serial}'/><target port='0'/></serial>", xml, flags=re.S)


@pytest.fixture
def system_guest(system_libvirtd, transactional_db, owner, tmp_path):
    """{"host", "domain", "pool", "other", "disk", "conn", "prefix", "serial"}: the demo guest (defined, shut off)
    named clones-<label>-guest on a 64 MiB qcow2 volume of the dir pool clones-<label>, beside an empty dir pool
    clones-<label>-other; everything named clones-<label> is removed afterwards, even when the test fails."""
    if not (Path(settings.DEMO_GUEST_DIR) / "vmlinuz").exists():
        pytest.fail(f"The demo guest is not built in {settings.DEMO_GUEST_DIR}: run "
                    "'bash scripts/build-demo-guest.sh'.")
    prefix = f"clones-{uuid.uuid4().hex[:8]}"
    conn = own_connection()
    host = do_add_host(owner, "system", "qemu:///system")
    try:
        pools = []
        for name in (prefix, f"{prefix}-other"):
            directory = tmp_path / name
            directory.mkdir()
            directory.chmod(0o755)
            pool = conn.storagePoolDefineXML(f"<pool type='dir'><name>{name}</name><target><path>{directory}"
                                             "</path></target></pool>")
            pool.create()
            pools.append(pool)
        vol = pools[0].createXML(f"<volume><name>{prefix}-base.qcow2</name><capacity>{64 * MiB}</capacity>"
                                 "<target><format type='qcow2'/></target></volume>", 0)
        serial = tmp_path / f"{prefix}-guest-serial.log"
        conn.defineXML(guest_xml(f"{prefix}-guest", vol.path(), serial))
        inventory.sync_host(host)
        yield {"host": host, "domain": Domain.objects.get(host=host, name=f"{prefix}-guest"), "pool": pools[0],
               "other": pools[1], "disk": vol.path(), "conn": conn, "prefix": prefix, "serial": serial}
    finally:
        adapter.forget_host(host.pk)
        remove_everything(conn, prefix)
        conn.close()


@pytest.fixture
def far_lab(lab, make_test_host, tmp_path):
    """lab, and "far": a second test:/// host (a driver of its own, the same kind) with an empty dir pool 'clones' (the
    source volumes' pool name) and 'far-other', the network 'farnet', and no cd.iso; "far_conn", "far_pool"."""
    far = make_test_host("far", domains=0)
    conn = adapter.connection_for(far).get()
    pool = conn.storagePoolCreateXML(f"<pool type='dir'><name>clones</name><target><path>{tmp_path / 'far'}</path>"
                                     "</target></pool>", 0)
    other = conn.storagePoolCreateXML(f"<pool type='dir'><name>far-other</name><target><path>"
                                      f"{tmp_path / 'far-other'}</path></target></pool>", 0)
    conn.networkCreateXML("<network><name>farnet</name><bridge name='virbr-far'/></network>")
    return {**lab, "far": far, "far_conn": conn, "far_pool": pool, "far_other": other}


def far_world(lab):
    """What a refused clone onto the far host must leave as it was: both hosts' domains and volumes, the rows, the
    jobs."""
    return (snapshot_of_world(lab), sorted(dom.name() for dom in lab["far_conn"].listAllDomains(0)),
            volume_names(lab["far_pool"], lab["far_other"]))


# --- the pair of libvirtds (libvirtd_pair): the demo guest on the first, cloned onto the second ---

@pytest.fixture
def two_hosts(libvirtd_pair, transactional_db, owner, tmp_path):
    """{"first", "second", "conns", "prefix", "domain", "pool", "far_pool", "disk", "serial"}: the pair of libvirtds
    as hosts; the demo guest (defined, shut off) clones-<hex>-guest on the first, on a 64 MiB qcow2 volume of the dir
    pool clones-<hex> (a directory of the first host's own), its serial port written to a file both hosts see; on the
    second an empty pool of the same name (a directory of its own). Everything named clones-<hex> is removed
    afterwards on both hosts, directories included, even when the test fails."""
    if not (Path(settings.DEMO_GUEST_DIR) / "vmlinuz").exists():
        pytest.fail(f"The demo guest is not built in {settings.DEMO_GUEST_DIR}: run "
                    "'bash scripts/build-demo-guest.sh'.")
    prefix = f"clones-{uuid.uuid4().hex[:8]}"
    conns = libvirt.open(FIRST_URI), libvirt.open(SECOND_URI)
    hosts = []
    try:
        hosts += [do_add_host(owner, "first", FIRST_URI), do_add_host(owner, "second", SECOND_URI)]
        pool = make_pool(conns[0], prefix, PRIVATE / prefix)
        far_pool = make_pool(conns[1], prefix, PRIVATE / prefix)
        vol = pool.createXML(f"<volume><name>{prefix}-base.qcow2</name><capacity>{64 * MiB}</capacity>"
                             "<target><format type='qcow2'/></target></volume>", 0)
        serial = tmp_path / f"{prefix}-guest-serial.log"
        conns[0].defineXML(guest_xml(f"{prefix}-guest", vol.path(), serial))
        inventory.sync_host(hosts[0])
        yield {"first": hosts[0], "second": hosts[1], "conns": conns, "prefix": prefix, "pool": pool,
               "far_pool": far_pool, "disk": vol.path(), "serial": serial,
               "domain": Domain.objects.get(host=hosts[0], name=f"{prefix}-guest")}
    finally:
        for host in hosts:
            adapter.forget_host(host.pk)
        for conn, uri in zip(conns, (FIRST_URI, SECOND_URI), strict=True):
            conn.close()
            # A connection of its own for the clearing: the test's may have died with a libvirtd restarted meanwhile.
            clearing = libvirt.open(uri)
            try:
                remove_everything(clearing, prefix)
            finally:
                clearing.close()
        for directory in (PRIVATE / prefix, SECOND_PRIVATE / prefix):
            shutil.rmtree(directory, ignore_errors=True)
