"""Storage fixtures: API callers, a test-driver host, the system libvirtd as a host with a pool directory of its
own, dir pools and domains made behind the console's back, and a transient pool for transfers; every pool and
domain a test makes on the system libvirtd is removed afterwards. Plain helpers: volume_support, transfer_support."""

import itertools
import os
import shutil
import uuid

import libvirt
import pytest

from domains.hosts.actions import do_add_host
from domains.hosts.models import Host
from domains.libvirt import adapter
from domains.libvirt.adapter import daemon_uri, forget_host
from domains.libvirt.storage import find_pool
from domains.storage.lookups import pool_row
from domains.storage.transfer import uploads
from tests.storage.transfer_support import auth, content_path, make_volume
from tests.libvirt_support import own_connection

POOL_PREFIX = "vct-pool-"


@pytest.fixture
def as_user(client):
    """as_user(user) -> a Django test client signed in as user."""
    def sign_in(user):
        client.force_login(user)
        return client
    return sign_in


@pytest.fixture
def pool_name():
    """A fresh pool name no other run uses (the system libvirtd is shared)."""
    return f"{POOL_PREFIX}{uuid.uuid4().hex[:10]}"


@pytest.fixture
def test_driver_host(make_test_host, tmp_path):
    """A test:/// host (its pools live in libvirt's memory only), allowing pools under tmp_path."""
    host = make_test_host("pools-test", domains=1)
    host.pool_paths = [str(tmp_path)]
    host.save()
    return host


def remove_pools(prefix):
    """Stop and undefine every pool on the system libvirtd whose name starts with prefix (own connection)."""
    conn = libvirt.open(daemon_uri("qemu:///system"))
    try:
        for pool in conn.listAllStoragePools(0):
            if pool.name().startswith(prefix):
                if pool.isActive():
                    pool.destroy()
                if pool.isPersistent():
                    pool.undefine()
    finally:
        conn.close()


@pytest.fixture
def system_host(transactional_db, owner, tmp_path, pool_name):
    """The system libvirtd as a console host (added by the owner) whose pools may live under this test's temp
    directory; pools named like this test's pool_name are removed afterwards."""
    host = do_add_host(owner, "system", "qemu:///system")
    host.pool_paths = [str(tmp_path)]
    host.save(update_fields=["pool_paths"])
    yield host
    forget_host(host.pk)
    remove_pools(pool_name)


def system_pool_names():
    conn = libvirt.open(daemon_uri("qemu:///system"))
    try:
        return sorted(pool.name() for pool in conn.listAllStoragePools(0))
    finally:
        conn.close()


@pytest.fixture
def dir_pool(system_host, tmp_path):
    """make(label) -> Pool row of a started dir pool in its own temp directory; all undefined at the end."""
    conn = own_connection()
    made = []

    def make(label="p"):
        name = f"vc-test-{label}-{uuid.uuid4().hex[:8]}"
        directory = tmp_path / name
        directory.mkdir()
        directory.chmod(0o755)
        handle = conn.storagePoolDefineXML(f"<pool type='dir'><name>{name}</name><target><path>{directory}</path>"
                                           "</target></pool>")
        made.append(name)
        handle.create()
        return pool_row(system_host, adapter.connection_for(system_host).get().storagePoolLookupByName(name))

    yield make
    for name in made:
        try:
            handle = conn.storagePoolLookupByName(name)
        except libvirt.libvirtError:
            continue
        if handle.isActive():
            for vol in handle.listAllVolumes():
                vol.delete()
            handle.destroy()
        handle.undefine()
    conn.close()


@pytest.fixture
def defined_domains(system_host):
    """define(name_part, disks_xml) -> the name of a defined (not started) domain on the system host."""
    conn = own_connection()
    made = []

    def define(part, disks_xml):
        name = f"vc-test-{part}-{uuid.uuid4().hex[:8]}"
        conn.defineXML(f"<domain type='qemu'><name>{name}</name><memory>65536</memory><os><type arch='x86_64'>hvm"
                       f"</type></os><devices>{disks_xml}</devices></domain>")
        made.append(name)
        return name

    yield define
    for name in made:
        try:
            conn.lookupByName(name).undefine()
        except libvirt.libvirtError:
            pass
    conn.close()


_transfer_pools = itertools.count()


@pytest.fixture
def scratch_pool(system_libvirtd, tmp_path):
    """(name, handle, directory) of a transient dir pool on the system libvirtd, made through a connection of
    the test's own: for tests against a served console, whose database is not the test's. Gone afterwards."""
    directory = tmp_path / "scratch-pool"
    directory.mkdir()
    name = f"vct-scratch-{os.getpid()}-{next(_transfer_pools)}"
    conn = libvirt.open("qemu+unix:///system?socket=/run/libvirt/libvirt-sock")
    handle = conn.storagePoolCreateXML(
        f"<pool type='dir'><name>{name}</name><target><path>{directory}</path></target></pool>", 0)
    yield name, handle, directory
    try:
        handle.refresh(0)
        for vol in handle.listAllVolumes():
            vol.delete()
        handle.destroy()  # transient: destroying it undefines it
    except libvirt.libvirtError:
        pass  # the test removed it already
    conn.close()


@pytest.fixture
def transfer_pool(system_libvirtd, transactional_db, tmp_path):
    """(host, pool handle, directory): a transient dir pool under a temp dir the host allows; gone afterwards."""
    directory = tmp_path / "pool"
    directory.mkdir()
    host = Host.objects.create(name="system", uri="qemu:///system", pool_paths=[str(tmp_path)])
    name = f"vct-transfer-{os.getpid()}-{next(_transfer_pools)}"
    conn = adapter.connection_for(host).get()
    handle = conn.storagePoolCreateXML(
        f"<pool type='dir'><name>{name}</name><target><path>{directory}</path></target></pool>", 0)
    yield host, handle, directory
    uploads.close_all("The test ended")  # an upload a test left between parts holds a stream into the pool
    if find_pool(host, name=name) is not None:
        handle.destroy()  # transient: destroying it undefines it
    adapter.forget_host(host.pk)
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def owner_headers(owner):
    """The headers of an API request made with the owner's token."""
    return auth(owner)


@pytest.fixture
def volume_to_upload(transfer_pool):
    """make(name, size): a raw volume of size bytes in the transfer pool; its content path."""
    host, pool, _ = transfer_pool

    def make(name, size):
        make_volume(pool, name, size)
        return content_path(host, pool, name)
    return make
