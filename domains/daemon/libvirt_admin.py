"""A small typed binding over libvirt-admin.so.0 (ctypes): tune a running libvirt daemon.

libvirt-python has no admin binding, so admin_ctypes declares the C calls of
<libvirt/libvirt-admin.h> and this module turns their results into
dataclasses. Every object libvirt hands back (servers, clients, typed
parameter arrays, strings) is freed here; callers only see Python values and
`VirtError`.

Admin URIs: None (libvirt's default: libvirtd:///system as root),
"libvirtd:///system", "virtqemud:///system", "virtproxyd:///system", ...
"""

import ctypes
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import ClassVar

from domains.daemon.admin_ctypes import (
    CLOSE_REASONS,
    P,
    PP,
    TRANSPORTS,
    UINT_MAX,
    VIR_ERR_INVALID_ARG,
    VIR_ERR_NO_CLIENT,
    VIR_ERR_NO_SERVER,
    VIR_ERR_NO_SUPPORT,
    CloseFunc,
    call,
    checked,
    client_version,
    function,
    last_error,
    read_params,
    take_pointer_array,
    take_string,
    uint_params,
    version_text,
)
from domains.libvirt_adapter import VirtError

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
    "client_version",
    "supports",
]


def _from_params(cls, params):
    """A dataclass whose LIBVIRT_NAMES maps its fields to libvirt's typed parameter names."""
    return cls(**{name: params.get(libvirt_name, 0) for name, libvirt_name in cls.LIBVIRT_NAMES.items()})


@dataclass(frozen=True)
class ThreadPool:
    """A server's worker pool: min, max and priority workers are settable, the rest is live."""

    min_workers: int
    max_workers: int
    prio_workers: int
    current_workers: int
    free_workers: int
    job_queue_depth: int

    LIBVIRT_NAMES: ClassVar[dict] = {
        "min_workers": "minWorkers",
        "max_workers": "maxWorkers",
        "prio_workers": "prioWorkers",
        "current_workers": "nWorkers",
        "free_workers": "freeWorkers",
        "job_queue_depth": "jobQueueDepth",
    }
    SETTABLE: ClassVar[tuple] = ("min_workers", "max_workers", "prio_workers")
    from_params = classmethod(_from_params)


@dataclass(frozen=True)
class ClientLimits:
    """A server's client limits (settable) and its current client counts."""

    max_clients: int
    max_unauth_clients: int
    clients: int
    unauth_clients: int

    LIBVIRT_NAMES: ClassVar[dict] = {
        "max_clients": "nclients_max",
        "max_unauth_clients": "nclients_unauth_max",
        "clients": "nclients",
        "unauth_clients": "nclients_unauth",
    }
    SETTABLE: ClassVar[tuple] = ("max_clients", "max_unauth_clients")
    from_params = classmethod(_from_params)


@dataclass(frozen=True)
class DaemonClient:
    """One client connected to a daemon server, with the identity it authenticated as."""

    id: int
    transport: str
    connected_at: datetime
    readonly: bool | None = None
    sock_addr: str | None = None
    unix_user_id: int | None = None
    unix_user_name: str | None = None
    unix_group_id: int | None = None
    unix_group_name: str | None = None
    unix_process_id: int | None = None
    sasl_user_name: str | None = None
    x509_dname: str | None = None
    selinux_context: str | None = None
    info: dict = field(default_factory=dict)

    @classmethod
    def from_parts(cls, client_id, timestamp, transport, info):
        return cls(
            id=client_id,
            transport=TRANSPORTS.get(transport, f"unknown ({transport})"),
            connected_at=datetime.fromtimestamp(timestamp, tz=timezone.utc),
            readonly=info.get("readonly"),
            sock_addr=info.get("sock_addr"),
            unix_user_id=info.get("unix_user_id"),
            unix_user_name=info.get("unix_user_name"),
            unix_group_id=info.get("unix_group_id"),
            unix_group_name=info.get("unix_group_name"),
            unix_process_id=info.get("unix_process_id"),
            sasl_user_name=info.get("sasl_user_name"),
            x509_dname=info.get("tls_x509_dname"),
            selinux_context=info.get("selinux_context"),
            info=info,
        )


def _describe_client(pointer):
    client_id = call("virAdmClientGetID", pointer)
    timestamp = call("virAdmClientGetTimestamp", pointer)
    transport = call("virAdmClientGetTransport", pointer)
    if timestamp < 0 or transport < 0:
        raise last_error("virAdmClientGetTimestamp")
    return DaemonClient.from_parts(client_id, timestamp, transport, read_params("virAdmClientGetInfo", pointer))


class AdminConnection:
    """An open admin connection to one libvirt daemon (libvirtd, virtqemud, ...)."""

    def __init__(self, uri=None):
        self._lock = threading.Lock()
        self._close_callback = None
        encoded = uri.encode() if uri else None
        self._conn = checked("virAdmConnectOpen", encoded, 0)

    # -- the connection itself ------------------------------------------------

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        self.close()

    def _handle(self):
        if self._conn is None:
            raise VirtError("this admin connection is closed; open a new AdminConnection")
        return self._conn

    def close(self):
        """Close the connection (idempotent)."""
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is None:
                return
            if self._close_callback is not None:
                call("virAdmConnectUnregisterCloseCallback", conn, self._close_callback)
            call("virAdmConnectClose", conn)

    def is_alive(self):
        if self._conn is None:
            return False
        alive = checked("virAdmConnectIsAlive", self._conn)
        return alive == 1

    @property
    def uri(self):
        return take_string(checked("virAdmConnectGetURI", self._handle()))

    def daemon_version(self):
        """The libvirt version of the daemon at the other end, e.g. "9.0.0"."""
        number = ctypes.c_ulonglong()
        checked("virAdmConnectGetLibVersion", self._handle(), ctypes.byref(number))
        return version_text(number.value)

    def on_close(self, callback):
        """Call callback(reason) once the daemon side goes away; reason is one of CLOSE_REASONS' values.

        libvirt notices a closed socket on its event loop (register one, e.g.
        libvirtaio, for a prompt call) or at the next call on this connection.
        Only one callback per connection.
        """

        def trampoline(_conn, reason, _opaque):
            callback(CLOSE_REASONS.get(reason, f"unknown ({reason})"))

        with self._lock:
            if self._close_callback is not None:
                raise VirtError("a close callback is already registered on this admin connection")
            c_callback = CloseFunc(trampoline)
            checked("virAdmConnectRegisterCloseCallback", self._handle(), c_callback, None, None)
            # ctypes must keep the C trampoline alive for as long as libvirt may call it.
            self._close_callback = c_callback

    # -- servers ----------------------------------------------------------------

    def list_servers(self):
        """Names of the daemon's servers, e.g. ["admin", "libvirtd"]."""
        array = PP()
        count = checked("virAdmConnectListServers", self._handle(), ctypes.byref(array), 0)
        names = []
        for server in take_pointer_array(array, count):
            try:
                names.append(call("virAdmServerGetName", server).decode())
            finally:
                call("virAdmServerFree", server)
        return names

    @contextmanager
    def _server(self, name):
        server = checked("virAdmConnectLookupServer", self._handle(), name.encode(), 0)
        try:
            yield server
        finally:
            call("virAdmServerFree", server)

    def thread_pool(self, server):
        with self._server(server) as srv:
            return ThreadPool.from_params(read_params("virAdmServerGetThreadPoolParameters", srv))

    def set_thread_pool(self, server, *, min_workers=None, max_workers=None, prio_workers=None):
        """Change the given worker counts at once; libvirt rejects e.g. min above max, changing nothing."""
        names = ThreadPool.LIBVIRT_NAMES
        array, count = uint_params(
            {names["min_workers"]: min_workers, names["max_workers"]: max_workers, names["prio_workers"]: prio_workers}
        )
        if not count:
            return
        with self._server(server) as srv:
            checked("virAdmServerSetThreadPoolParameters", srv, array, count, 0)

    def client_limits(self, server):
        with self._server(server) as srv:
            return ClientLimits.from_params(read_params("virAdmServerGetClientLimits", srv))

    def set_client_limits(self, server, *, max_clients=None, max_unauth_clients=None):
        """Change the client limits at once; libvirt rejects an unauthenticated limit above the total."""
        names = ClientLimits.LIBVIRT_NAMES
        array, count = uint_params(
            {names["max_clients"]: max_clients, names["max_unauth_clients"]: max_unauth_clients}
        )
        if not count:
            return
        with self._server(server) as srv:
            checked("virAdmServerSetClientLimits", srv, array, count, 0)

    def update_tls_files(self, server):
        """Make the server re-read its TLS certificates and CRL from disk."""
        with self._server(server) as srv:
            checked("virAdmServerUpdateTlsFiles", srv, 0)

    # -- clients ----------------------------------------------------------------

    def clients(self, server):
        """The clients connected to `server` now; one that leaves while we look is left out."""
        with self._server(server) as srv:
            array = PP()
            count = checked("virAdmServerListClients", srv, ctypes.byref(array), 0)
            result = []
            for pointer in take_pointer_array(array, count):
                try:
                    result.append(_describe_client(pointer))
                except VirtError as exc:
                    if exc.code != VIR_ERR_NO_CLIENT:
                        raise
                finally:
                    call("virAdmClientFree", pointer)
            return result

    @contextmanager
    def _client(self, server, client_id):
        with self._server(server) as srv:
            client = checked("virAdmServerLookupClient", srv, client_id, 0)
            try:
                yield client
            finally:
                call("virAdmClientFree", client)

    def client(self, server, client_id):
        with self._client(server, client_id) as pointer:
            return _describe_client(pointer)

    def disconnect_client(self, server, client_id):
        """Close one client's connection to the daemon."""
        with self._client(server, client_id) as pointer:
            checked("virAdmClientClose", pointer, 0)

    # -- daemon-wide settings ---------------------------------------------------------

    def _logging(self, name):
        text = P()
        checked(name, self._handle(), ctypes.byref(text), 0)
        return take_string(text).strip()

    def logging_filters(self):
        """The daemon's log filters as libvirt normalised them, e.g. "3:*qemu* 1:*util*"."""
        return self._logging("virAdmConnectGetLoggingFilters")

    def logging_outputs(self):
        """The daemon's log outputs, e.g. "3:file:/var/log/libvirt/libvirtd.log"."""
        return self._logging("virAdmConnectGetLoggingOutputs")

    def set_logging_filters(self, filters):
        """Replace the log filters; "" removes them all."""
        checked("virAdmConnectSetLoggingFilters", self._handle(), filters.encode(), 0)

    def set_logging_outputs(self, outputs):
        """Replace the log outputs; "" restores the daemon's default output."""
        checked("virAdmConnectSetLoggingOutputs", self._handle(), outputs.encode(), 0)

    def set_daemon_timeout(self, seconds):
        """Let the daemon exit after `seconds` without clients; 0 turns the timeout off.

        libvirt (8.6.0 and newer) offers no call to read the timeout back.
        """
        if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 <= seconds <= UINT_MAX:
            raise ValueError(f"the daemon timeout must be a whole number of seconds from 0, not {seconds!r}")
        checked("virAdmConnectSetDaemonTimeout", self._handle(), seconds, 0)


def supports(call_name):
    """Whether the loaded libvirt-admin library has the C call `call_name` (e.g. "virAdmConnectSetDaemonTimeout")."""
    try:
        function(call_name)
    except VirtError:
        return False
    return True
