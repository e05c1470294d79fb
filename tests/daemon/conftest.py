"""Fixtures for daemon tests: a running system libvirtd, an admin connection, settings put back after each test."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from domains.daemon.libvirt_admin import AdminConnection
from domains.daemon.log_syntax import settable_log_filters

START_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "start-libvirtd.sh"
SERVER = "libvirtd"


def virt_admin(*args, uri="libvirtd:///system"):
    """Run virt-admin against the system libvirtd (or `uri`); its stdout."""
    result = subprocess.run(["virt-admin", "-c", uri, *args], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, f"virt-admin {' '.join(args)} failed: {result.stderr.strip()}"
    return result.stdout


def virt_admin_table(*args, uri="libvirtd:///system"):
    """virt-admin's "name : value" listing (srv-threadpool-info, srv-clients-info) as a dict of ints."""
    rows = {}
    for line in virt_admin(*args, uri=uri).splitlines():
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


class RestartableDaemon:
    """A virtlockd started by the tests: a real daemon with an admin API that nothing else needs.

    Restarting libvirtd would cut off other tests' connections; virtlockd is
    only used when qemu.conf asks for lock_manager = "lockd", which ours does not.
    """

    URI = "virtlockd:///system"
    PID_FILE = Path("/run/virtconsole-test-virtlockd.pid")
    ADMIN_SOCKET = Path("/run/libvirt/virtlockd-admin-sock")

    def start(self):
        # No inherited pipes: the daemon would hold them open for ever.
        quiet = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        subprocess.run(["virtlockd", "-d", "-p", str(self.PID_FILE)], check=True, timeout=30, **quiet)
        self._wait_for(self.answers)

    def stop(self):
        pid = int(self.PID_FILE.read_text())
        os.kill(pid, signal.SIGTERM)
        self._wait_for(lambda: not self.ADMIN_SOCKET.exists() and not _alive(pid))

    def restart(self):
        self.stop()
        self.start()

    def answers(self):
        probe = subprocess.run(["virt-admin", "-c", self.URI, "srv-list"], capture_output=True, timeout=30)
        return probe.returncode == 0

    @staticmethod
    def _wait_for(condition, timeout=15):
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError("virtlockd did not start or stop within 15 s")
            time.sleep(0.05)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie until its parent (this test run, via `virtlockd -d`) is gone: as good as stopped.
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


@pytest.fixture
def virtlockd():
    daemon = RestartableDaemon()
    if daemon.answers():
        pytest.skip("a virtlockd not started by these tests is running; it is not ours to restart")
    daemon.start()
    yield daemon
    daemon.stop()
