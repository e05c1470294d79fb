"""Fixtures for daemon tests: a running system libvirtd, an admin connection, settings put back after each test."""

import subprocess
from pathlib import Path

import pytest

from domains.daemon.libvirt_admin import AdminConnection
from domains.daemon.log_syntax import settable_log_filters

START_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "start-libvirtd.sh"
SERVER = "libvirtd"


def virt_admin(*args):
    """Run virt-admin against the system libvirtd; its stdout."""
    result = subprocess.run(
        ["virt-admin", "-c", "libvirtd:///system", *args], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, f"virt-admin {' '.join(args)} failed: {result.stderr.strip()}"
    return result.stdout


def virt_admin_table(*args):
    """virt-admin's "name : value" listing (srv-threadpool-info, srv-clients-info) as a dict of ints."""
    rows = {}
    for line in virt_admin(*args).splitlines():
        name, colon, value = line.partition(":")
        if colon:
            rows[name.strip()] = int(value)
    return rows


@pytest.fixture(scope="session")
def libvirtd():
    """A system libvirtd answering on its admin socket; started by scripts/start-libvirtd.sh if needed."""
    probe = subprocess.run(["virt-admin", "-c", "libvirtd:///system", "srv-list"], capture_output=True, timeout=30)
    if probe.returncode != 0:
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
