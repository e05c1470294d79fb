"""Shared fixtures: the base set of users, private test:/// hosts, the embedded host with the demo guest."""

import os
import shutil
import time
from pathlib import Path

import libvirt
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from domains.hosts.models import Host
from domains.libvirt import adapter, events

REPO = Path(__file__).resolve().parent.parent
# One embedded root per test process: an embedded driver belongs to one process,
# and several test runs may share a machine.
TEST_EMBED_ROOT = os.environ.get("VIRTCONSOLE_TEST_EMBED_ROOT", f"/var/tmp/vct-{os.getpid()}")
# VNC ports apart from the browser tests' server (tests/browser_support.py) and from `make run`'s guests.
TEST_VNC_PORTS = (5960, 5979)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """An SQLite test database in a file, not shared-cache memory.

    libvirt event callbacks write from worker threads; in shared-cache memory a
    reader and a writer collide at once ("database table is locked"), in a
    file they wait for each other. The short busy timeout keeps a worker that
    waits on a test's open transaction from holding its thread for long.
    """
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database["TEST"] = {**database.get("TEST", {}), "NAME": f"/var/tmp/vctest-{os.getpid()}.sqlite3"}
        database.setdefault("OPTIONS", {})["timeout"] = 3


@pytest.fixture(scope="session", autouse=True)
def test_uri_dir(tmp_path_factory):
    """The directory test:///<path> hosts may name (VIRTCONSOLE_TEST_URI_DIR): this run's base temp directory."""
    settings.TEST_URI_DIR = str(tmp_path_factory.getbasetemp())
    return settings.TEST_URI_DIR


@pytest.fixture(autouse=True)
def audit_anchor_file(tmp_path):
    """Each test anchors its audit log in its own file (the database is emptied between tests)."""
    previous = getattr(settings, "AUDIT_ANCHOR_PATH", None)
    settings.AUDIT_ANCHOR_PATH = tmp_path / "audit-anchor.json"
    yield settings.AUDIT_ANCHOR_PATH
    settings.AUDIT_ANCHOR_PATH = previous


@pytest.fixture(scope="session", autouse=True)
def libvirt_event_loop():
    """One libvirt event loop for the whole run, on a thread of its own."""
    return events.ensure_event_loop()


@pytest.fixture
def admin(db):
    return get_user_model().objects.create_superuser("alice", "alice@example.com", "alice-pass-123")


@pytest.fixture
def outsider(db):
    return get_user_model().objects.create_user("mallory", "mallory@example.com", "mallory-pass-123")


def node_xml(domain_count, running=()):
    """A test driver node description with domain_count domains; those in running start running."""
    domains = []
    for index in range(domain_count):
        name = f"vm{index:04d}"
        domains.append(
            f"<domain type='test'><name>{name}</name><uuid>00000000-0000-4000-8000-{index:012d}</uuid>"
            f"<memory>65536</memory><currentMemory>65536</currentMemory><vcpu>1</vcpu>"
            f"<os><type>hvm</type></os></domain>"
        )
    return (
        "<node><cpu><mhz>2000</mhz><model>i686</model><topology sockets='1' cores='2' threads='1'/></cpu>"
        f"<memory>16777216</memory>{''.join(domains)}</node>"
    )


@pytest.fixture
def make_test_host(db, tmp_path):
    """Create a Host on a private test:/// driver (its own state) with N domains, all shut off but `running`."""
    made = []

    def make(name="testhost", domains=3, running=()):
        path = tmp_path / f"{name}.xml"
        path.write_text(node_xml(domains))
        host = Host.objects.create(name=name, uri=f"test://{path}")
        conn = adapter.connection_for(host).get()
        # The test driver starts every domain of a node file: bring them to
        # the state the test asks for.
        for dom in conn.listAllDomains():
            index = int(dom.name()[2:])
            if index not in running and dom.isActive():
                dom.destroy()
        made.append(host)
        return host

    yield make
    for host in made:
        adapter.forget_host(host.pk)


@pytest.fixture(scope="session")
def embedded_host(django_db_setup, django_db_blocker):
    """The embedded QEMU host of the test process, with the demo guest defined (shut off at start)."""
    from domains.hosts.embedded import embedded_uri, ensure_demo_domain, prepare_root

    root = prepare_root(TEST_EMBED_ROOT, vnc_ports=TEST_VNC_PORTS)
    with django_db_blocker.unblock():
        host, _ = Host.objects.get_or_create(name="test-embedded", defaults={"uri": embedded_uri(root), "embedded": True})
        dom = ensure_demo_domain(host, settings.DEMO_GUEST_DIR)
    if dom.isActive():
        dom.destroy()
    yield host
    try:
        if dom.isActive():
            dom.destroy()
    except libvirt.libvirtError:
        pass
    with django_db_blocker.unblock():
        adapter.forget_host(host.pk)
        host.delete()
    if "VIRTCONSOLE_TEST_EMBED_ROOT" not in os.environ:
        shutil.rmtree(root, ignore_errors=True)


def wait_for(predicate, timeout=10.0, interval=0.05):
    """Poll predicate until it is truthy; return its value or fail naming the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


# Browser fixtures, registered here once so all browser tests share one served console and one Chromium.
from tests.browser_support import browser, logged_in_page, second_page, served_console  # noqa: E402,F401
