"""A small typed binding over libvirt-admin.so.0: tune a running libvirt daemon (libvirtd, virtqemud, ...).

libvirt-python has no admin binding, so ctypes_binding.py declares the C calls of
<libvirt/libvirt-admin.h> and direct.py wraps them. In libvirt 9.0 the
admin library and libvirt.so cannot both be used in one process (each
registers libvirt's object types; the second one crashes), and the console
process uses libvirt.so. So each AdminConnection runs its own small worker
process (worker.py) and talks to it over a pipe; callers see an ordinary
object, dataclasses and `VirtError` in libvirt's own words.

Admin URIs: None (libvirt's default: libvirtd:///system as root),
"libvirtd:///system", "virtqemud:///system", "virtproxyd:///system", ...
"""

import collections
import json
import os
import queue
import subprocess
import sys
import threading
import weakref
from pathlib import Path
from urllib.parse import urlsplit

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.daemon.admin.ctypes_binding import (
    VIR_ERR_INVALID_ARG,
    VIR_ERR_NO_CLIENT,
    VIR_ERR_NO_SERVER,
    VIR_ERR_NO_SUPPORT,
    client_version,
    function,
)
from domains.daemon.admin.types import ClientLimits, DaemonClient, ThreadPool, from_wire
from domains.libvirt.adapter import VirtError

__all__ = [
    "AdminConnection",
    "ClientLimits",
    "DaemonClient",
    "ThreadPool",
    "VirtError",
    "VIR_ERR_INVALID_ARG",
    "VIR_ERR_NO_CLIENT",
    "VIR_ERR_NO_SERVER",
    "VIR_ERR_NO_SUPPORT",
    "admin_uri_for",
    "client_version",
    "supports",
]

_PROJECT_ROOT = Path(__file__).resolve().parents[3]
CALL_TIMEOUT = 30.0  # seconds; admin calls answer in well under a millisecond


def supports(call_name):
    """Whether the installed libvirt-admin library has the C call `call_name` (e.g. "virAdmConnectSetDaemonTimeout")."""
    try:
        function(call_name)  # a symbol lookup only: safe in the console process
    except VirtError:
        return False
    return True


def admin_uri_for(host_uri):
    """The admin URI of the daemon that serves the host URI `host_uri`; VirtError when there is none.

    libvirt's admin interface (9.0) reaches only daemons on this machine, over
    their unix socket: a remote host's daemon must be managed on that host.
    """
    parts = urlsplit(host_uri)
    driver, _plus, transport = parts.scheme.partition("+")
    path = parts.path.rstrip("/")
    if parts.netloc or transport not in ("", "unix"):
        raise VirtError(format_lazy(
            _("{uri} is on another machine; libvirt's admin interface reaches only local daemons, so manage that "
              "daemon with virt-admin on its host"), uri=host_uri), VIR_ERR_NO_SUPPORT)
    if driver != "qemu" or path not in ("/system", "/session"):
        raise VirtError(format_lazy(_("{uri} is not served by a libvirt daemon, so it has no daemon settings"),
                                    uri=host_uri), VIR_ERR_NO_SUPPORT)
    # A modular host runs virtqemud; a monolithic one, libvirtd.
    if path == "/system" and os.path.exists("/run/libvirt/virtqemud-admin-sock"):
        return "virtqemud:///system"
    return f"libvirtd://{path}"


def _stop_worker(process):
    if process.poll() is None:
        process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class AdminConnection:
    """An open admin connection to one libvirt daemon, served by a worker process of its own."""

    def __init__(self, uri=None, timeout=CALL_TIMEOUT):
        self._timeout = timeout
        self._lock = threading.Lock()  # one request in flight at a time
        self._state_lock = threading.Lock()  # close state; never held while waiting for the worker
        self._answers = queue.Queue()
        self._stderr_tail = collections.deque(maxlen=20)
        self._close_callbacks = []
        self._closed_reason = None
        self._next_id = 0
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_PROJECT_ROOT), env.get("PYTHONPATH")]))
        self._process = subprocess.Popen(
            [sys.executable, "-m", "domains.daemon.admin.worker", uri or ""],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
            encoding="utf-8",
        )
        self._finalizer = weakref.finalize(self, _stop_worker, self._process)
        threading.Thread(target=self._read_answers, name="libvirt-admin-answers", daemon=True).start()
        threading.Thread(target=self._read_stderr, name="libvirt-admin-stderr", daemon=True).start()
        try:
            self._wait_for(0)
        except VirtError:
            self._finalizer()
            raise

    # -- the worker process ------------------------------------------------------

    def _read_answers(self):
        for line in self._process.stdout:
            message = json.loads(line)
            if "event" in message:
                self._closed_by_daemon(message.get("reason", "error"))
            else:
                self._answers.put(message)
        self._answers.put(None)  # the worker is gone
        self._closed_by_daemon("error")

    def _read_stderr(self):
        for line in self._process.stderr:
            if line.strip():
                self._stderr_tail.append(line.rstrip())

    def _closed_by_daemon(self, reason):
        with self._state_lock:
            if self._closed_reason is not None:
                return
            self._closed_reason = reason
            callbacks = list(self._close_callbacks)
        for callback in callbacks:
            callback(reason)

    def _worker_gone(self):
        self._finalizer()
        detail = "; ".join(list(self._stderr_tail)[-3:]) or f"exit status {self._process.returncode}"
        return VirtError(f"the libvirt admin worker process stopped ({detail}); open a new AdminConnection")

    def _wait_for(self, request_id):
        try:
            message = self._answers.get(timeout=self._timeout)
        except queue.Empty:
            self._finalizer()
            raise VirtError(
                f"the libvirt daemon did not answer an admin call within {self._timeout:g} s; "
                "check that it is running and not stuck"
            ) from None
        if message is None:
            raise self._worker_gone()
        if message.get("id") != request_id:
            raise VirtError(f"the libvirt admin worker answered request {message.get('id')}, not {request_id}")
        error = message.get("error")
        if error is None:
            return from_wire(message.get("result"))
        if error["kind"] == "VirtError":
            raise VirtError(error["message"], error.get("code"))
        if error["kind"] == "TypeError":
            raise TypeError(error["message"])
        raise ValueError(error["message"])

    def _request(self, method, *args, **kwargs):
        with self._lock:
            if not self._finalizer.alive:
                raise VirtError("this admin connection is closed; open a new AdminConnection")
            self._next_id += 1
            request_id = self._next_id
            try:
                self._process.stdin.write(
                    json.dumps({"id": request_id, "method": method, "args": args, "kwargs": kwargs}) + "\n"
                )
                self._process.stdin.flush()
            except (BrokenPipeError, ValueError):
                raise self._worker_gone() from None
            return self._wait_for(request_id)

    # -- the connection itself ------------------------------------------------

    @property
    def worker_pid(self):
        """The worker's process id: the daemon lists this connection as a client with this unix_process_id."""
        return self._process.pid

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        self.close()

    def close(self):
        """Close the connection and stop its worker (idempotent)."""
        with self._state_lock:
            if self._closed_reason is None:
                self._closed_reason = "client"
        self._finalizer()

    def is_alive(self):
        """False once closed here, closed by the daemon, or the worker died."""
        if self._closed_reason is not None or not self._finalizer.alive:
            return False
        return self._request("is_alive")

    @property
    def uri(self):
        return self._request("uri")

    def daemon_version(self):
        """The libvirt version of the daemon at the other end, e.g. "9.0.0"."""
        return self._request("daemon_version")

    def on_close(self, callback):
        """Call callback(reason) once, when the daemon closes the connection ("eof", "error", "keepalive").

        Called at once if the daemon closed it already.

        It runs on a background thread of this object, promptly: the worker
        watches the socket on libvirt's event loop. Not called for close().
        """
        with self._state_lock:
            self._close_callbacks.append(callback)
            already = self._closed_reason
        if already is not None and already != "client":
            callback(already)  # closed before the callback was registered: still tell it

    # -- servers ----------------------------------------------------------------

    def list_servers(self):
        """Names of the daemon's servers, e.g. ["admin", "libvirtd"]."""
        return self._request("list_servers")

    def thread_pool(self, server):
        return self._request("thread_pool", server)

    def set_thread_pool(self, server, *, min_workers=None, max_workers=None, prio_workers=None):
        """Change the given worker counts at once; libvirt rejects e.g. min above max, changing nothing."""
        return self._request(
            "set_thread_pool", server, min_workers=min_workers, max_workers=max_workers, prio_workers=prio_workers
        )

    def client_limits(self, server):
        return self._request("client_limits", server)

    def set_client_limits(self, server, *, max_clients=None, max_unauth_clients=None):
        """Change the client limits at once; libvirt rejects an unauthenticated limit above the total."""
        return self._request(
            "set_client_limits", server, max_clients=max_clients, max_unauth_clients=max_unauth_clients
        )

    def update_tls_files(self, server):
        """Make the server re-read its TLS certificates and CRL from disk."""
        return self._request("update_tls_files", server)

    # -- clients ----------------------------------------------------------------

    def clients(self, server):
        """The clients connected to `server` now (DaemonClient list)."""
        return self._request("clients", server)

    def client(self, server, client_id):
        return self._request("client", server, client_id)

    def disconnect_client(self, server, client_id):
        """Close one client's connection to the daemon."""
        return self._request("disconnect_client", server, client_id)

    # -- daemon-wide settings ---------------------------------------------------------

    def logging_filters(self):
        """The daemon's log filters as libvirt normalised them, e.g. "3:*qemu* 1:*util*"."""
        return self._request("logging_filters")

    def logging_outputs(self):
        """The daemon's log outputs, e.g. "3:file:/var/log/libvirt/libvirtd.log"."""
        return self._request("logging_outputs")

    def set_logging_filters(self, filters):
        """Replace the log filters; "" removes them all."""
        return self._request("set_logging_filters", filters)

    def set_logging_outputs(self, outputs):
        """Replace the log outputs; "" restores the daemon's default output."""
        return self._request("set_logging_outputs", outputs)

    def set_daemon_timeout(self, seconds):
        """Let the daemon exit after `seconds` without clients; 0 turns the timeout off.

        Needs libvirt 8.6.0 or newer; libvirt offers no call to read it back.
        """
        return self._request("set_daemon_timeout", seconds)
