"""Fixtures for daemon tests: a running system libvirtd, an admin connection, a qemu:///system host, settings put back."""

import subprocess

import pytest
from django.contrib.auth import get_user_model

from domains.daemon.actions import forget_host
from domains.daemon.admin.connection import AdminConnection
from domains.daemon.log_syntax import settable_log_filters
from domains.hosts.models import Host

from .daemon_helpers import SERVER, START_SCRIPT, RestartableDaemon

ADMIN_URI = "libvirtd:///system"


def start_libvirtd():
    started = subprocess.run([str(START_SCRIPT)], capture_output=True, text=True, timeout=120)
    if started.returncode != 0:
        pytest.fail(f"could not start libvirtd with {START_SCRIPT}: {started.stderr.strip()}")


@pytest.fixture(scope="session")
def libvirtd():
    """A system libvirtd answering on its admin socket; the script starts one only if none answers."""
    start_libvirtd()
    return ADMIN_URI


@pytest.fixture
def admin_connection(libvirtd):
    with AdminConnection(libvirtd) as conn:
        yield conn


@pytest.fixture
def restored_daemon(admin_connection):
    """The admin connection; whatever a test changes on libvirtd is put back afterwards."""
    pool = admin_connection.thread_pool(SERVER)
    limits = admin_connection.client_limits(SERVER)
    filters = admin_connection.logging_filters()
    outputs = admin_connection.logging_outputs()
    yield admin_connection
    # All three in one call: libvirt checks min against the new max, not the current one.
    admin_connection.set_thread_pool(
        SERVER, min_workers=pool.min_workers, max_workers=pool.max_workers, prio_workers=pool.prio_workers
    )
    admin_connection.set_client_limits(
        SERVER, max_clients=limits.max_clients, max_unauth_clients=limits.max_unauth_clients
    )
    admin_connection.set_logging_filters(settable_log_filters(filters))
    admin_connection.set_logging_outputs(outputs)


@pytest.fixture
def virtlockd():
    daemon = RestartableDaemon()
    if daemon.answers():
        pytest.skip("a virtlockd not started by these tests is running; it is not ours to restart")
    daemon.start()
    yield daemon
    daemon.stop()


def _snapshot():
    with AdminConnection(ADMIN_URI) as conn:
        return conn.thread_pool(SERVER), conn.client_limits(SERVER), conn.logging_filters(), conn.logging_outputs()


def _restore(snapshot):
    pool, limits, filters, outputs = snapshot
    with AdminConnection(ADMIN_URI) as conn:
        # All settable values in one call: libvirt checks min against the max given with it.
        conn.set_thread_pool(SERVER, min_workers=pool.min_workers, max_workers=pool.max_workers,
                             prio_workers=pool.prio_workers)
        conn.set_client_limits(SERVER, max_clients=limits.max_clients, max_unauth_clients=limits.max_unauth_clients)
        conn.set_logging_filters(settable_log_filters(filters))
        conn.set_logging_outputs(outputs)


@pytest.fixture
def system_host(libvirtd, transactional_db):
    """A Host on qemu:///system; the daemon's settings are put back and its keeper stopped afterwards.

    Transactional: the keeper reads the desired settings and records re-applies from its own thread.
    """
    snapshot = _snapshot()
    host = Host.objects.create(name="daemon-host", uri="qemu:///system")
    yield host
    forget_host(host.pk)
    start_libvirtd()  # a restart test may have left it starting
    _restore(snapshot)


@pytest.fixture
def operator(transactional_db):
    """A superuser: the permission system lets superusers do everything."""
    return get_user_model().objects.create_superuser("olga", "olga@example.com", password=None)


@pytest.fixture
def api(client, operator):
    client.force_login(operator)
    return client
