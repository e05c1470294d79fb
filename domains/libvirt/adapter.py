"""The one place virtconsole talks to libvirt: a connection per host, errors, events."""

import logging
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import libvirt
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.errors import ConsoleError
from domains.libvirt import events as libvirt_events
from domains.libvirt import uris
from domains.words import kept

log = logging.getLogger(__name__)


class VirtError(ConsoleError):
    """A libvirt failure, carrying libvirt's own words for the user; .code is libvirt's error number."""

    status = 502

    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code

    def as_api_error(self):
        return self.status, "libvirt_error", str(self.message), None

    @classmethod
    def from_libvirt(cls, exc):
        return cls(exc.get_error_message() or str(exc), exc.get_error_code())

    def __str__(self):
        return str(self.message)


@contextmanager
def translated_errors():
    """Turn libvirt's exception into ours, so callers handle one type."""
    try:
        yield
    except libvirt.libvirtError as exc:
        raise VirtError.from_libvirt(exc) from exc


def daemon_uri(uri):
    """The URI to open: local qemu:///system spelled so it still reaches the daemon.

    Once a process has opened qemu:///embed, libvirt routes qemu:///system to
    the in-process driver ("Missing URI parameter 'root'") and refuses
    qemu+unix:///system without a socket; naming the socket goes through the
    remote driver to the daemon again.
    """
    if uri.rstrip("/") not in ("qemu:///system", "qemu+unix:///system"):
        return uri
    for socket_path in ("/run/libvirt/virtqemud-sock", "/run/libvirt/libvirt-sock"):
        if os.path.exists(socket_path):
            return f"qemu+unix:///system?socket={socket_path}"
    return uri


CONNECTED = "connected"
RECONNECTING = "reconnecting"
FAILED = "failed"
DISCONNECTED = "disconnected"

# Remote URIs get keepalive so a dead peer is noticed in seconds, not at the
# next TCP timeout.
KEEPALIVE_INTERVAL = 5
KEEPALIVE_COUNT = 3
BACKOFF_FIRST = 1.0
BACKOFF_MAX = 30.0


@dataclass
class HostHealth:
    state: str = DISCONNECTED
    message: str = ""
    since: float = field(default_factory=time.time)


class HostConnection:
    """One libvirt connection for one host in this process, reopened on loss."""

    def __init__(self, host_id, uri):
        self.host_id = host_id
        self.uri = uri
        self.health = HostHealth()
        self._conn = None
        self._lock = threading.Lock()
        self._next_attempt = 0.0
        self._backoff = BACKOFF_FIRST
        self._on_open = []
        self._closed_by_us = False

    def on_open(self, callback):
        """Run callback(conn) on each new connection: event registration lives there."""
        self._on_open.append(callback)
        if self._conn is not None:
            callback(self._conn)

    def get(self):
        """The open virConnect, opening it if needed; VirtError if the host is unreachable."""
        conn = self._conn
        if conn is not None:
            return conn
        with self._lock:
            if self._conn is not None:
                return self._conn
            now = time.monotonic()
            if now < self._next_attempt:
                raise VirtError(format_lazy(_("Host is unreachable: {problem} (next retry in {seconds} s)"),
                                            problem=self.health.message, seconds=f"{self._next_attempt - now:.0f}"))
            return self._open()

    def _refuse(self, error):
        self._next_attempt = time.monotonic() + self._backoff
        self._backoff = min(self._backoff * 2, BACKOFF_MAX)
        self._set_health(FAILED, error.message)
        return error

    def _open(self):
        # Checked at every open, not only when the URI is saved: a row written
        # before the rule (or by hand) must not read host files either.
        try:
            uris.check_host_file_access(self.uri)
        except uris.UriRefused as exc:
            raise self._refuse(VirtError(exc.message)) from None
        libvirt_events.ensure_event_loop()
        try:
            conn = libvirt.open(daemon_uri(self.uri))
        except libvirt.libvirtError as exc:
            error = VirtError.from_libvirt(exc)
            test_file = uris.test_driver_file(self.uri)
            if test_file is not None:
                # from None: the chained libvirt error would carry the file's line into logs.
                withheld = format_lazy(uris.TEST_FILE_WITHHELD, path=test_file)
                raise self._refuse(VirtError(withheld, error.code)) from None
            raise self._refuse(error) from exc
        if "://" in self.uri and not self.uri.split("://", 1)[1].startswith("/"):
            with translated_errors():
                conn.setKeepAlive(KEEPALIVE_INTERVAL, KEEPALIVE_COUNT)
        conn.registerCloseCallback(self._closed, None)
        self._conn = conn
        self._backoff = BACKOFF_FIRST
        self._next_attempt = 0.0
        self._set_health(CONNECTED, "")
        for callback in self._on_open:
            callback(conn)
        return conn

    def _closed(self, conn, reason, _opaque):
        reasons = {
            libvirt.VIR_CONNECT_CLOSE_REASON_ERROR: "connection error",
            libvirt.VIR_CONNECT_CLOSE_REASON_EOF: "the daemon closed the connection",
            libvirt.VIR_CONNECT_CLOSE_REASON_KEEPALIVE: "keepalive timed out",
            libvirt.VIR_CONNECT_CLOSE_REASON_CLIENT: "closed by the console",
        }
        with self._lock:
            if self._conn is conn:
                self._conn = None
        if reason != libvirt.VIR_CONNECT_CLOSE_REASON_CLIENT:
            self._set_health(RECONNECTING, reasons.get(reason, "connection lost"))
            self._schedule_reconnect(BACKOFF_FIRST)

    def _schedule_reconnect(self, delay):
        """Reopen in the background, so events flow again without waiting for a page view."""
        loop = libvirt_events.event_loop()
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(loop.call_later, delay, loop.run_in_executor, None, self._reconnect, delay)

    def _reconnect(self, delay):
        with self._lock:
            if self._closed_by_us or self._conn is not None:
                return
            try:
                self._open()
            except VirtError as exc:
                self._set_health(RECONNECTING, exc.message)
                self._schedule_reconnect(min(delay * 2, BACKOFF_MAX))

    def _set_health(self, state, message):
        # Health is shared by every reader and published on the events socket: kept, as a str.
        message = kept(message)
        self.health = HostHealth(state, message)
        libvirt_events.publish_host_health(self.host_id, state, message)

    def close(self):
        self._closed_by_us = True
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.unregisterCloseCallback()
                conn.close()
            except libvirt.libvirtError as exc:
                log.info("closing %s: %s", self.uri, exc)
        self._set_health(DISCONNECTED, "")


_connections = {}
_connections_lock = threading.Lock()


def connection_for(host):
    """The process-wide HostConnection of a Host row (created on first use)."""
    with _connections_lock:
        existing = _connections.get(host.pk)
        if existing is not None and existing.uri == host.uri:
            return existing
        if existing is not None:
            existing.close()
        connection = HostConnection(host.pk, host.uri)
        _connections[host.pk] = connection
    for hook in _new_connection_hooks:
        hook(connection)
    return connection


def is_running(dom):
    """Whether the domain runs now (libvirt's isActive)."""
    with translated_errors():
        return bool(dom.isActive())


def find_domain(conn, *, name=None, uuid=None):
    """The virDomain on conn by name or UUID (a uuid.UUID), or None if there is none; VirtError otherwise."""
    try:
        with translated_errors():
            return conn.lookupByName(name) if name is not None else conn.lookupByUUID(uuid.bytes)
    except VirtError as exc:
        if exc.code == libvirt.VIR_ERR_NO_DOMAIN:
            return None
        raise


def lookup_domain(host, uuid, name):
    """The virDomain with uuid on host; VirtError if the host or the domain (called name here) is not there."""
    dom = find_domain(connection_for(host).get(), uuid=uuid)
    if dom is None:
        raise VirtError(format_lazy(_("Domain '{name}' no longer exists on host '{host}': it was undefined outside "
                                      "the console."), name=name, host=host), libvirt.VIR_ERR_NO_DOMAIN)
    return dom


def list_domains(conn, flags=0):
    """The virDomain handles of conn's domains, or of those flags pick (VIR_CONNECT_LIST_DOMAINS_*), no stats."""
    with translated_errors():
        return conn.listAllDomains(flags)


def domain_counts(conn):
    """(active, inactive) domain counts of conn: two small calls, whatever the number of domains."""
    with translated_errors():
        return conn.numOfDomains(), conn.numOfDefinedDomains()


def domain_stats(conn, doms, groups):
    """[(virDomain, stats)] of just these domains, only the groups asked; one undefined meanwhile is left out."""
    if not doms:
        return []
    with translated_errors():
        return conn.domainListGetStats(doms, groups, 0)


def open_connection_of(host):
    """The open virConnect of host's HostConnection, or None: never opens or reopens one.

    For work that follows an event (the event writers): the event came over that connection, so it is open
    unless the host was forgotten meanwhile (removed, or its URI changed), and then the work is moot. Opening
    again there would leak a connection nobody closes, hearing every event of its daemon.
    """
    with _connections_lock:
        existing = _connections.get(host.pk)
    if existing is None or existing.uri != host.uri:
        return None
    return existing._conn


def health_of_host_id(host_id):
    """How this process's connection to host_id is now (HostHealth; disconnected when it has none)."""
    existing = _connections.get(host_id)
    return existing.health if existing is not None else HostHealth()


def is_connected(host_id):
    """Whether this process holds an open connection to host_id now (hears its events)."""
    existing = _connections.get(host_id)
    return existing is not None and existing._conn is not None


def forget_host(host_id):
    with _connections_lock:
        existing = _connections.pop(host_id, None)
    if existing is not None:
        existing.close()


def health_of(host):
    existing = _connections.get(host.pk)
    return existing.health if existing is not None and existing.uri == host.uri else HostHealth()


_new_connection_hooks = []


def install():
    """Quiet libvirt's default error handler, which prints every error to stderr even when we catch it and show it."""
    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)


def on_new_connection(hook):
    """Let other modules (event sync) attach to every HostConnection made, and to those made already."""
    with _connections_lock:
        if hook in _new_connection_hooks:
            return hook
        _new_connection_hooks.append(hook)
        existing = list(_connections.values())
    for connection in existing:
        hook(connection)
    return hook
