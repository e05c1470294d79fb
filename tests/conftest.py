"""Shared fixtures: the base set of users, private test:/// hosts, the embedded host with the demo guest."""

import asyncio
import os
import shutil
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

import libvirt
import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import IntegrityError
from django.test import TransactionTestCase, override_settings
from django.utils import translation
from rest_framework.test import APIClient

from console import request_threads
from domains.access.grants import do_define_role, do_grant
from domains.access.permission_names import BUILTIN_ROLES, PER_DOMAIN
from domains.access.users import do_create_user
from domains.hosts.actions import do_add_host
from domains.hosts.models import Host
from domains.libvirt import adapter, events
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain
from domains.storage.lookups import pool_row
from domains.storage.pools.actions import ensure_first_revision
from tests import qemu_capabilities
from tests.ws_support import communicator, session_cookie

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
    else:
        # One test database per run: several checkouts may run their suites on one PostgreSQL server.
        database["TEST"] = {**database.get("TEST", {}), "NAME": f"test_{database['NAME']}_{os.getpid()}"}


@pytest.fixture(scope="session", autouse=True)
def channel_layer_of_this_run():
    """On Redis, this run's channel-layer names apart from any other run's on the same server.

    The test process is no server of a cluster: it connects to the hosts its tests name, not to every host.
    """
    settings.CONNECT_EVERY_HOST = False
    layer = settings.CHANNEL_LAYERS["default"]
    if layer["BACKEND"] != "channels.layers.InMemoryChannelLayer":
        config = layer.setdefault("CONFIG", {})
        config["prefix"] = f"vctest{os.getpid()}"
        channel_layers.backends.pop("default", None)
    return layer


@pytest.fixture(autouse=True)
def channel_layer_of_this_test(channel_layer_of_this_run):
    """On Redis, a layer per test: its receive locks belong to the event loop that first waited on them, and
    each async test has a loop of its own (a server process has one for its life)."""
    yield
    if channel_layer_of_this_run["BACKEND"] != "channels.layers.InMemoryChannelLayer":
        channel_layers.backends.pop("default", None)


@pytest.fixture(autouse=True)
def the_consoles_language():
    """Each test starts in the console's own language. A request made in German leaves German active in the
    thread that served it (LocaleMiddleware activates a language per request and never deactivates it), so
    whichever test ran after a German one said its refusals in German."""
    translation.deactivate()
    yield


@pytest.fixture(scope="session", autouse=True)
def test_uri_dir(tmp_path_factory):
    """The directory test:///<path> hosts may name (VIRTCONSOLE_TEST_URI_DIR): this run's base temp directory."""
    settings.TEST_URI_DIR = str(tmp_path_factory.getbasetemp())
    return settings.TEST_URI_DIR


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing():
    """Hash test passwords with MD5: the real hasher takes half a second a user, and no test is about its strength."""
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    fast.enable()
    yield
    fast.disable()


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


def drain_event_workers(timeout=10.0):
    """Return once every task handed to the event loop's worker threads so far has finished, and the event writes.

    One barrier task per worker thread: the barrier opens only when all threads are free,
    which (the queue being first in, first out) is after every earlier task.
    """
    loop = events.event_loop()
    workers = min(32, (os.cpu_count() or 1) + 4)  # ThreadPoolExecutor's default size
    barrier = threading.Barrier(workers + 1, timeout=timeout)

    async def submit():
        for _ in range(workers):
            loop.run_in_executor(None, barrier.wait)

    asyncio.run_coroutine_threadsafe(submit(), loop).result(timeout)
    barrier.wait()
    try:
        events.wait_for_event_writes(timeout)
    except TimeoutError:
        stacks = {thread.ident: thread.name for thread in threading.enumerate()}
        busy = [f"{stacks.get(ident, ident)}:\n{''.join(traceback.format_stack(frame))}"
                for ident, frame in sys._current_frames().items() if "event-rows" in str(stacks.get(ident))]
        raise TimeoutError(f"the event writes did not end within {timeout} s; the writer is at\n" + "\n".join(busy))


@pytest.fixture(scope="session", autouse=True)
def event_writes_end_before_each_flush(libvirt_event_loop):
    """A transactional test's flush waits for the event writes its test set off (a domain stopped at setup...).

    A write still running at the flush deadlocks with its TRUNCATE on PostgreSQL, and one landing after it
    fills the next test's tables (with reused ids on SQLite, under that test's hosts). The idle request threads
    (the monitor socket's commands run on them too) end with their connections, which would otherwise keep
    PostgreSQL from dropping the test database at the end.
    """
    original = TransactionTestCase._fixture_teardown

    def fixture_teardown(self):
        drain_event_workers()
        request_threads.end_idle_threads()
        return original(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TransactionTestCase, "_fixture_teardown", fixture_teardown)
        yield


# Shared by the snapshot and backup tests (moved from tests/snapshots/conftest.py).
@pytest.fixture
def api_as():
    """api_as(user) -> an API client signed in as user."""
    def sign_in(user):
        client = APIClient()
        client.force_authenticate(user)
        return client
    return sign_in


@pytest.fixture(scope="session")
def system_libvirtd():
    started = subprocess.run(["bash", str(REPO / "scripts/start-libvirtd.sh")], capture_output=True, text=True,
                             timeout=120)
    if started.returncode != 0:
        pytest.fail(f"could not start libvirtd: {started.stderr.strip()}")


@pytest.fixture(scope="session")
def libvirtd_pair():
    """The two libvirtds (scripts/start-second-libvirtd.sh): tests/libvirt_support.py FIRST_URI and SECOND_URI."""
    started = subprocess.run(["bash", str(REPO / "scripts/start-second-libvirtd.sh"), "start"], capture_output=True,
                             text=True, timeout=180)
    if started.returncode != 0:
        pytest.fail(f"could not start the second libvirtd: {started.stderr.strip()}")


@pytest.fixture
def make_user(db):
    """make_user("vera") -> a user made through do_create_user by the console itself.

    For the few tests that need someone besides the three personas; superuser=True makes another
    administrator. No password unless given: force_login and tokens need none.
    """

    def make(username, superuser=False, password=None):
        return do_create_user(None, username, password, f"{username}@example.com", is_superuser=superuser)

    return make


@pytest.fixture
def owner(make_user):
    """alice, the console's administrator (a superuser: she may do everything, grant included)."""
    return make_user("alice", superuser=True, password="alice-pass-123")


@pytest.fixture
def teammate(make_user):
    """bob, an ordinary user: he holds nothing until a test grants him something (see `grant`)."""
    return make_user("bob", password="bob-pass-123")


@pytest.fixture
def outsider(make_user):
    """mallory, an ordinary user who is never granted anything."""
    return make_user("mallory", password="mallory-pass-123")


@pytest.fixture
def make_group(db):
    """make_group("ops", members=[teammate]) -> a Group holding members."""

    def make(name, members=()):
        # The console has no action for groups: they are kept in Django's admin, which writes this same row.
        group = Group.objects.create(name=name)
        group.user_set.add(*members)
        return group

    return make


@pytest.fixture
def grant(request, owner):
    """grant("Operator", to=teammate, domain=/host=/pool=/network=...) -> the Grant the owner gives through do_grant.

    to is a user or a group and defers to the teammate; no domain, host, pool or network means everything.
    """

    def give(role, to=None, domain=None, host=None, pool=None, network=None):
        holder = to if to is not None else request.getfixturevalue("teammate")
        who = {"to_group": holder} if isinstance(holder, Group) else {"to_user": holder}
        return do_grant(owner, role, domain=domain, host=host, pool=pool, network=network, **who)[0]

    return give


@pytest.fixture
def define_role(owner):
    """define_role("Console manager", ["getattr", ...]) -> the Role the owner defines through do_define_role."""
    return lambda name, permission_names: do_define_role(owner, name, permission_names)


# The test driver's own namespace sets a domain's state in the node file (5: shut off), so a test host starts in
# the state a test asks for without a destroy, whose events would be written after the test ends.
TEST_DRIVER_NS = "http://libvirt.org/schemas/domain/test/1.0"
SHUT_OFF = 5


def node_xml(domain_count, running=()):
    """A test driver node description with domain_count domains; those in running run, the others are shut off."""
    domains = []
    for index in range(domain_count):
        name = f"vm{index:04d}"
        state = "" if index in running else f"<test:runstate>{SHUT_OFF}</test:runstate>"
        domains.append(
            f"<domain type='test' xmlns:test='{TEST_DRIVER_NS}'><name>{name}</name>"
            f"<uuid>00000000-0000-4000-8000-{index:012d}</uuid>"
            f"<memory>65536</memory><currentMemory>65536</currentMemory><vcpu>1</vcpu>"
            f"<os><type>hvm</type></os>{state}</domain>"
        )
    return (
        "<node><cpu><mhz>2000</mhz><model>i686</model><topology sockets='1' cores='2' threads='1'/></cpu>"
        f"<memory>16777216</memory>{''.join(domains)}</node>"
    )


@pytest.fixture
def make_test_host(owner, tmp_path):
    """The owner adds a Host on a private test:/// driver (its own state) with N domains, all shut off but `running`."""
    made = []

    def make(name="testhost", domains=3, running=()):
        path = tmp_path / f"{name}.xml"
        path.write_text(node_xml(domains, running))
        host = do_add_host(owner, name, f"test://{path}")
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
    qemu_capabilities.seed(root)
    with django_db_blocker.unblock():
        # A raw row: do_add_host refuses embedded URIs (the console runs the one embedded driver itself).
        host, _ = Host.objects.get_or_create(name="test-embedded", defaults={"uri": embedded_uri(root), "embedded": True})
        dom = ensure_demo_domain(host, settings.DEMO_GUEST_DIR)
    qemu_capabilities.keep(root)
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
        # The guest's last lifecycle event may still be writing its Domain row on a worker thread:
        # the host row goes once nothing refers to it any more.
        wait_for(lambda: _deleted(host))
    qemu_capabilities.keep(root)
    if "VIRTCONSOLE_TEST_EMBED_ROOT" not in os.environ:
        shutil.rmtree(root, ignore_errors=True)



@pytest.fixture
def live_host(embedded_host, transactional_db):
    """The embedded host with its row present (transactional tests flush tables between tests)."""
    embedded_host.save()
    inventory.sync_host(embedded_host)
    return embedded_host


@pytest.fixture
def connect():
    """connect(path, user, ...) -> connected communicator on the full ASGI stack, signed in as user."""

    async def open_(path, user=None, **kwargs):
        cookie = await database_sync_to_async(session_cookie)(user) if user is not None else None
        comm = communicator(path, cookie, **kwargs)
        connected, subprotocol = await comm.connect(timeout=10)
        return comm, connected, subprotocol

    # Communicators close with their test's loop: nothing to undo here.
    return open_

def _deleted(row):
    try:
        row.delete()
    except IntegrityError:
        return False
    return True


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


# --- the authorization matrices' world (tests/access, tests/qemu_extras) ---

# One persona per built-in role that applies to a single domain.
ROLE_PERSONAS = [name for name, (_, permission_names) in BUILTIN_ROLES.items() if set(permission_names) & PER_DOMAIN]


@pytest.fixture
def world(make_test_host, owner, outsider, make_user, grant):
    host = make_test_host("matrix", domains=3)
    inventory.sync_host(host)
    pool = adapter.connection_for(host).get().storagePoolCreateXML(
        "<pool type='dir'><name>matrix-pool</name><target><path>/matrix-pool</path></target></pool>", 0)
    pool.createXML("<volume><name>matrix.img</name><capacity>1048576</capacity></volume>", 0)
    ensure_first_revision(pool_row(host, pool), pool)  # what the pool pages record on a first visit
    adapter.connection_for(host).get().networkDefineXML(
        "<network><name>matrix-net</name><dns><host ip='192.168.250.5'><hostname>matrix</hostname></host></dns>"
        "<ip address='192.168.250.1' prefix='24'><dhcp><host mac='52:54:00:25:00:01' ip='192.168.250.5'/></dhcp></ip>"
        "</network>")
    target, other = (Domain.objects.get(host=host, name=n) for n in ("vm0000", "vm0001"))
    # The matrix's personas: the shared owner ("admin") and outsider, one user per built-in role on the target.
    people = {"outsider": outsider, "other-domain": make_user("other-domain"), "admin": owner}
    for role_name in ROLE_PERSONAS:
        people[role_name] = make_user(role_name.replace(" ", "-").lower())
        grant(role_name, to=people[role_name], domain=target)
    grant("Administrator", to=people["other-domain"], domain=other)
    person = make_user("target-person")
    make_user("outsider-two")
    viewer = grant("Viewer", to=person, domain=target)
    return {"host": host, "target": target, "people": people, "grant": viewer, "person": person}


# The production_shape marker (which tests run again on PostgreSQL and Redis), and the browser fixtures,
# registered once so all browser tests share one served console and one Chromium.
pytest_plugins = ["tests.production_shape", "tests.browser_support", "tests.stuck_watchdog", "tests.thread_safe_ast",
                  "tests.failure_causes"]
