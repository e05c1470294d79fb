"""Fixtures for daemon tests: a running system libvirtd, an admin connection, settings put back after each test."""

import subprocess

import pytest

from domains.daemon.libvirt_admin import AdminConnection
from domains.daemon.log_syntax import settable_log_filters

from .daemon_helpers import SERVER, START_SCRIPT, RestartableDaemon


@pytest.fixture(scope="session")
def libvirtd():
    """A system libvirtd answering on its admin socket; the script starts one only if none answers."""
    started = subprocess.run([str(START_SCRIPT)], capture_output=True, text=True, timeout=120)
    if started.returncode != 0:
        pytest.fail(f"could not start libvirtd with {START_SCRIPT}: {started.stderr.strip()}")
    return "libvirtd:///system"


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
