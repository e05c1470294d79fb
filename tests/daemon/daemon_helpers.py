"""Helpers for daemon tests: virt-admin readings and a daemon the tests may restart."""

import os
import signal
import subprocess
import time
from pathlib import Path

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
