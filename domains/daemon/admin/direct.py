"""The in-process admin connection over ctypes_binding.py; only the admin worker process may use it.

libvirt 9.0's libvirt-admin.so.0 carries its own copy of libvirt's object
types and registers them under the same GObject names as libvirt.so.0: a
process that has used one of the two libraries crashes when it uses the
other. The console process uses libvirt.so (libvirt-python), so this class
runs in domains.daemon.admin.worker; everyone else uses
connection.py's AdminConnection.
"""

import ctypes
import threading
from contextlib import contextmanager

from domains.daemon.admin.ctypes_binding import (
    CLOSE_REASONS,
    PP,
    UINT_MAX,
    VIR_ERR_NO_CLIENT,
    CloseFunc,
    P,
    call,
    checked,
    last_error,
    read_params,
    take_pointer_array,
    take_string,
    uint_params,
    version_text,
)
from domains.daemon.admin.types import ClientLimits, DaemonClient, ThreadPool
from domains.libvirt.adapter import VirtError


def _describe_client(pointer):
    client_id = call("virAdmClientGetID", pointer)
    timestamp = call("virAdmClientGetTimestamp", pointer)
    transport = call("virAdmClientGetTransport", pointer)
    if timestamp < 0 or transport < 0:
        raise last_error("virAdmClientGetTimestamp")
    return DaemonClient.from_parts(client_id, timestamp, transport, read_params("virAdmClientGetInfo", pointer))


class DirectAdminConnection:
    """An admin connection to one libvirt daemon, in this process (see the module docstring)."""

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

        libvirt notices a closed socket on its event loop (worker runs
        libvirt's default one) or else at the next call on this connection.
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

