"""The demo guest on the embedded QEMU host: boots, says it is ready on the serial port, obeys every action."""

import time

import libvirt
import pytest

from domains.access.lookups import libvirt_domain
from domains.libvirt.adapter import connection_for
from domains.lifecycle.actions import do_domain_action
from domains.lifecycle.models import Domain
from tests.conftest import wait_for

pytestmark = [pytest.mark.embedded, pytest.mark.django_db]


def read_serial_until(host, dom, marker, timeout=30.0, after=None):
    """Read the guest's serial console through the host's adapter connection until marker appears.

    after, if given, runs once the console is open: on a running guest, the action whose output is awaited
    (a reset, a reboot) must come after, or a fast reboot prints marker before anyone listens.
    """
    stream = connection_for(host).get().newStream(libvirt.VIR_STREAM_NONBLOCK)
    dom.openConsole(None, stream, libvirt.VIR_DOMAIN_CONSOLE_FORCE)
    if after is not None:
        after()
    seen = b""
    deadline = time.monotonic() + timeout
    try:
        while marker not in seen:
            if time.monotonic() > deadline:
                raise AssertionError(f"{marker!r} not seen within {timeout} s; got {seen[-300:]!r}")
            chunk = stream.recv(4096)
            if chunk == -2:
                time.sleep(0.05)
                continue
            if not chunk:
                break
            seen += chunk
    finally:
        stream.abort()
    return seen


def state_of(dom):
    return dom.state()[0]


def test_the_demo_guest_boots_and_follows_every_lifecycle_action(owner, embedded_host, client):
    client.force_login(owner)
    client.get("/")
    demo = Domain.objects.get(host=embedded_host, name="demo")
    dom = libvirt_domain(demo)

    do_domain_action(owner, demo, "start")
    assert b"virtconsole demo guest ready" in read_serial_until(embedded_host, dom, b"virtconsole demo guest ready")
    assert state_of(dom) == libvirt.VIR_DOMAIN_RUNNING

    do_domain_action(owner, demo, "suspend")
    assert state_of(dom) == libvirt.VIR_DOMAIN_PAUSED
    do_domain_action(owner, demo, "resume")
    assert state_of(dom) == libvirt.VIR_DOMAIN_RUNNING

    read_serial_until(embedded_host, dom, b"virtconsole demo guest ready",
                      after=lambda: do_domain_action(owner, demo, "reset"))

    read_serial_until(embedded_host, dom, b"virtconsole demo guest ready",
                      after=lambda: do_domain_action(owner, demo, "reboot"))
    assert state_of(dom) == libvirt.VIR_DOMAIN_RUNNING

    do_domain_action(owner, demo, "shutdown")  # ACPI: the guest's acpid powers it off
    wait_for(lambda: state_of(dom) == libvirt.VIR_DOMAIN_SHUTOFF, timeout=90)

    do_domain_action(owner, demo, "start")
    read_serial_until(embedded_host, dom, b"virtconsole demo guest ready")
    do_domain_action(owner, demo, "managed_save")
    assert state_of(dom) == libvirt.VIR_DOMAIN_SHUTOFF
    assert dom.hasManagedSaveImage(0)
    do_domain_action(owner, demo, "start")  # restores from the saved image
    assert state_of(dom) == libvirt.VIR_DOMAIN_RUNNING
    assert not dom.hasManagedSaveImage(0)

    do_domain_action(owner, demo, "destroy")
    assert state_of(dom) == libvirt.VIR_DOMAIN_SHUTOFF


def test_the_domain_page_shows_the_demo_guests_devices_and_taint(owner, embedded_host, client):
    client.force_login(owner)
    client.get("/")
    demo = Domain.objects.get(host=embedded_host, name="demo")
    do_domain_action(owner, demo, "start")
    try:
        page = client.get(demo.get_absolute_url()).content.decode()
    finally:
        do_domain_action(owner, demo, "destroy")

    assert "running" in page
    assert "vnc" in page and "nowhere: only through the console" in page  # the console reaches it by openGraphics
    assert "/dev/pts/" in page  # the pty behind the serial port
    assert "running with undesirable elevated privileges" in page
