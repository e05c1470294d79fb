"""Migration fixtures: the pair of libvirtds (libvirtd_pair in tests/conftest.py) as two hosts, the demo guest on a
qcow2 disk in same-named pools of both, and reading its serial console."""

import re
import subprocess
import time
import uuid

import libvirt
import pytest
from django.conf import settings

from domains.hosts.actions import do_add_host
from domains.hosts.embedded import demo_domain_xml
from domains.libvirt import adapter
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain
from tests.libvirt_support import (
    FIRST_URI,
    PRIVATE,
    SECOND_URI,
    SHARED,
    MiB,
    make_pool,
    remove_everything,
)

FIRST_TLS_URI = "qemu+tls://10.250.0.1/system"
SECOND_TLS_URI = "qemu+tls://10.250.0.2/system"
PREFIX = "migrate-"


def guest_xml(name, disk_path, network=None):
    """The demo guest's XML on one qcow2 disk (vda), with no network, or an interface on the libvirt network."""
    xml = demo_domain_xml(settings.DEMO_GUEST_DIR, name)
    nic = f"<interface type='network'><source network='{network}'/></interface>" if network else ""
    xml = re.sub(r"<interface type='user'>.*?</interface>", nic, xml, flags=re.S)
    disk = (f"<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='{disk_path}'/>"
            "<target dev='vda' bus='virtio'/></disk>")
    return xml.replace("<devices>", "<devices>" + disk, 1)


@pytest.fixture
def pair(libvirtd_pair, transactional_db, owner):
    """{"first", "second", "conns", "prefix", "guest"(shared)}: the two libvirtds as hosts; guest(shared=True) defines
    the demo guest on the first, its disk in pool <prefix> (shared: a directory both see; else private to each,
    the second's pool of the same name empty). Everything named <prefix> is removed afterwards on both."""
    yield from two_hosts(owner, FIRST_URI, SECOND_URI)


@pytest.fixture
def tls_pair(libvirtd_pair, transactional_db, owner):
    """pair, with both libvirtds added as hosts over qemu+tls:// (the certificates of scripts/make-tls-certs.sh)."""
    yield from two_hosts(owner, FIRST_TLS_URI, SECOND_TLS_URI)


def two_hosts(owner, first_uri, second_uri):
    prefix = f"{PREFIX}{uuid.uuid4().hex[:8]}"
    first_conn, second_conn = libvirt.open(FIRST_URI), libvirt.open(SECOND_URI)
    first = do_add_host(owner, "first", first_uri)
    second = do_add_host(owner, "second", second_uri)
    made = []

    def guest(shared=True, network=None):
        directory = (SHARED if shared else PRIVATE) / prefix
        pool = make_pool(first_conn, prefix, directory)
        if not shared or not made:
            make_pool(second_conn, prefix, directory)
        made.append(directory)
        vol = pool.createXML(f"<volume><name>{prefix}.qcow2</name><capacity>{64 * MiB}</capacity>"
                             "<target><format type='qcow2'/></target></volume>", 0)
        first_conn.defineXML(guest_xml(f"{prefix}-guest", vol.path(), network))
        inventory.sync_host(first)
        return Domain.objects.get(host=first, name=f"{prefix}-guest")

    try:
        yield {"first": first, "second": second, "conns": (first_conn, second_conn), "prefix": prefix,
               "guest": guest}
    finally:
        adapter.forget_host(first.pk)
        adapter.forget_host(second.pk)
        for conn in (first_conn, second_conn):
            remove_everything(conn, prefix)
            conn.close()
        for directory in made:
            subprocess.run(["rm", "-rf", str(directory)], check=False)


def serial_answers(conn, name, timeout=60.0):
    """Type an echo on the guest's serial console (through conn) until its shell prints the marker back."""
    dom = conn.lookupByName(name)
    stream = conn.newStream(libvirt.VIR_STREAM_NONBLOCK)
    dom.openConsole(None, stream, libvirt.VIR_DOMAIN_CONSOLE_FORCE)
    suffix = uuid.uuid4().hex[:6]
    # The shell prints answer-0<suffix>; the echoed command line says answer-$((0))<suffix>, which does not count.
    answer = f"answer-0{suffix}".encode()
    seen = b""
    deadline = time.monotonic() + timeout
    next_prompt = 0.0
    try:
        while answer not in seen:
            now = time.monotonic()
            if now > deadline:
                raise AssertionError(f"the serial console did not answer within {timeout} s; got {seen[-300:]!r}")
            if now >= next_prompt:
                stream.send(f"echo answer-$((0)){suffix}\n".encode())
                next_prompt = now + 2.0
            chunk = stream.recv(4096)
            if chunk == -2:
                time.sleep(0.05)
                continue
            if not chunk:
                break
            seen += chunk
    finally:
        stream.abort()
    return True
