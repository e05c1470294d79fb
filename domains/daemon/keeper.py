"""Keep one daemon on its desired settings: apply them on connect, and again each time the daemon comes back.

A daemon forgets every runtime change when it restarts. The keeper holds an
admin connection; when the daemon closes it (restart, crash), it reconnects
with backoff and re-applies the desired settings, reporting each step to
`on_event` so the caller can record it (audit, health):

    {"kind": "applied", "reason": "connected" | "reconnected", "changed": [...], "live": {...}}
    {"kind": "apply_failed", "reason": ..., "error": "libvirt's words"}
    {"kind": "lost", "reason": "eof" | "error" | "keepalive"}
    {"kind": "unreachable", "error": "libvirt's words"}      (once per outage)
"""

import logging
import threading

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.daemon.admin.connection import AdminConnection
from domains.daemon.settings_service import apply_desired
from domains.libvirt.adapter import VirtError

log = logging.getLogger(__name__)

BACKOFF_FIRST = 0.2
BACKOFF_MAX = 30.0


class DaemonKeeper:
    """A background thread that keeps the daemon at `uri` on `desired()` (a callable: read fresh each time)."""

    def __init__(self, uri, desired, on_event, backoff_first=BACKOFF_FIRST, backoff_max=BACKOFF_MAX, applies=None):
        self.uri = uri
        self._desired = desired
        # Whether this process is the one that re-applies (its host's leader in a cluster); the others keep a
        # connection for reads and the operator's own changes only.
        self._applies = applies or (lambda: True)
        self._on_event = on_event
        self._backoff_first = backoff_first
        self._backoff_max = backoff_max
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lost_reason = None
        self._connection = None
        self._thread = None

    @property
    def connection(self):
        """The current admin connection (None while the daemon is away): share it for reads."""
        return self._connection

    def start(self):
        self._thread = threading.Thread(target=self._run, name=f"daemon-keeper {self.uri}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout=10):
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def apply_now(self):
        """Apply the desired settings on the live connection now (after the operator changed them)."""
        conn = self._connection
        if conn is None:
            raise VirtError(format_lazy(_("The daemon at {uri} is not reachable right now: check that it runs, "
                                          "then apply again."), uri=self.uri or _("the default admin URI")))
        return apply_desired(conn, self._desired())

    def _emit(self, event):
        try:
            self._on_event(event)
        except Exception:  # a failing listener must not stop the keeper
            log.exception("daemon keeper listener failed on %s", event.get("kind"))

    def _connect(self):
        """An open connection, retrying with backoff; None once stopped."""
        backoff = self._backoff_first
        reported = False
        while not self._stop.is_set():
            try:
                return AdminConnection(self.uri)
            except VirtError as exc:
                if not reported:
                    self._emit({"kind": "unreachable", "error": exc.message})
                    reported = True
            self._stop.wait(backoff)
            backoff = min(backoff * 2, self._backoff_max)
        return None

    def _closed(self, reason):
        self._lost_reason = reason
        self._wake.set()

    def _run(self):
        reason = "connected"
        while not self._stop.is_set():
            conn = self._connect()
            if conn is None:
                return
            if self._stop.is_set():  # stopped while connecting: a replaced keeper must not apply once more
                conn.close()
                return
            self._wake.clear()
            conn.on_close(self._closed)
            self._connection = conn
            try:
                if self._applies():
                    report = apply_desired(conn, self._desired())
                else:
                    report = {"changed": [], "live": None}  # another process of the cluster re-applies
                self._emit({"kind": "applied", "reason": reason, **report})
            except (VirtError, ValueError) as exc:
                self._emit({"kind": "apply_failed", "reason": reason, "error": getattr(exc, "message", str(exc))})
            except Exception as exc:  # noqa: BLE001  e.g. the database away while the desired state was read
                # The keeper must outlive it: a dead keeper never re-applies the settings again. It tries again
                # when the daemon next comes back.
                log.exception("applying the desired settings to %s failed", self.uri)
                self._emit({"kind": "apply_failed", "reason": reason,
                            "error": format_lazy(_("The desired settings could not be read or applied: {problem}"),
                                                 problem=exc)})
            self._wake.wait()
            self._connection = None
            conn.close()
            if self._stop.is_set():
                return
            self._emit({"kind": "lost", "reason": self._lost_reason})
            reason = "reconnected"


_keepers = {}
_keepers_lock = threading.Lock()


def keeper_for(key, uri, desired, on_event, applies=None):
    """The running DaemonKeeper for `key` (e.g. a Host id) in this process, started on first use.

    One per daemon and process: its connection serves reads too, so a page
    view does not start an admin worker of its own. A changed URI replaces it.
    """
    with _keepers_lock:
        keeper = _keepers.get(key)
        if keeper is not None and keeper.uri == uri:
            return keeper
        _keepers[key] = DaemonKeeper(uri, desired, on_event, applies=applies).start()
    if keeper is not None:
        keeper.stop()
    return _keepers[key]


def stop_keeper(key):
    """Stop and forget the keeper for `key`, if any (host deleted, or its daemon no longer managed)."""
    with _keepers_lock:
        keeper = _keepers.pop(key, None)
    if keeper is not None:
        keeper.stop()
