"""Which process of the cluster does each once-per-cluster duty: a PostgreSQL advisory lock per duty.

A duty ("host:3": relay host 3's events, keep its daemon, sample its stats)
belongs to the process that holds its advisory lock, taken on one connection of
this process kept for that alone. PostgreSQL releases a session's locks the
moment the session ends, so when a process dies (even by SIGKILL: the kernel
closes its socket) another one takes its duties at its next try, within
RETRY_SECONDS. A process that loses its lock connection (PostgreSQL restarted,
network) gives its duties up at once, before anyone else can take them again.

On SQLite there is one process by design (DESIGN.md, runtime modes): it holds
every duty it asks for, at once.
"""

import hashlib
import logging
import threading
import time

from django.db import connection as default_connection

log = logging.getLogger(__name__)

RETRY_SECONDS = 1.0
# How often a process checks that its lock connection still answers. Shorter than RETRY_SECONDS: after a
# PostgreSQL restart the holder must notice it lost its locks before another process can take them.
CHECK_SECONDS = 0.2


class Duty:
    def __init__(self, name):
        self.name = name
        self.on_gain = []
        self.on_loss = []
        self.held = False
        self.key = None  # the advisory lock's 64-bit key, fixed when first asked
        self.eligible = _always  # whether this process may do it now (its host connection is open)


_duties = {}  # name -> Duty
_lock = threading.RLock()
_engine = None


def lead(name, on_gain=None, on_loss=None, eligible=None):
    """Ask to do duty name in this process: on_gain() runs each time this process comes to hold it, on_loss()
    each time it loses it; eligible(), if given, says whether this process may hold it now. Several parts of
    the console may ask for the same duty, each with its callbacks; one asking for a duty held already has its
    on_gain run at once.

    The first try is made now, in the caller's thread: a lone process holds its duties before its first
    event comes.
    """
    with _lock:
        duty = _duties.get(name)
        new = duty is None
        if new:
            duty = _duties[name] = Duty(name)
        if eligible is not None:
            duty.eligible = eligible
        if on_gain is not None:
            duty.on_gain.append(on_gain)
        if on_loss is not None:
            duty.on_loss.append(on_loss)
        held = duty.held
        engine = _engine_of_this_process()
    if new:
        engine.try_to_hold([duty])
    elif held and on_gain is not None:
        _call(on_gain, name)


def step_aside(name):
    """Give duty name up for now (this process cannot do it: its host connection is down); another eligible
    process takes it, and this one stands again once eligible (retry)."""
    with _lock:
        duty = _duties.get(name)
        engine = _engine
    if duty is not None and duty.held and engine is not None:
        engine.release(duty)
        _lost(duty)


def retry(name):
    """Try for duty name now (this process became eligible), rather than at the next round."""
    with _lock:
        duty = _duties.get(name)
        engine = _engine_of_this_process()
    if duty is not None and not duty.held:
        engine.try_to_hold([duty])


def leads(name):
    """Whether this process does duty name now."""
    duty = _duties.get(name)
    return duty is not None and duty.held


def _always():
    return True


def _gained(duty):
    duty.held = True
    log.info("this process now does %s", duty.name)
    for callback in list(duty.on_gain):
        _call(callback, duty.name)


def _lost(duty):
    duty.held = False
    log.warning("this process no longer does %s", duty.name)
    for callback in list(duty.on_loss):
        _call(callback, duty.name)


def _call(callback, name):
    try:
        callback()
    except Exception:  # a duty's callback failing must not stop the others from being taken or given up
        log.exception("the callback of duty %s failed", name)


def _engine_of_this_process():
    global _engine
    if _engine is None:
        vendor = default_connection.vendor
        _engine = AdvisoryLocks() if vendor == "postgresql" else Alone()
    return _engine


class Alone:
    """One process (SQLite): every duty is its own."""

    def try_to_hold(self, duties):
        for duty in duties:
            if not duty.held and duty.eligible():
                _gained(duty)

    def release(self, duty):
        pass


class AdvisoryLocks:
    """Duties as PostgreSQL session advisory locks on one connection of this process, retried every second."""

    def __init__(self):
        self._conn = None
        self._conn_lock = threading.Lock()
        self._database = default_connection.settings_dict["NAME"]
        self._thread = threading.Thread(target=self._keep_trying, name="cluster-leadership", daemon=True)
        self._thread.start()

    def key_of(self, duty):
        # The database's name is part of the key: runs on other databases of the same server (tests, a
        # second console) hold locks of their own. The lock connection itself uses the maintenance
        # database, so it never keeps a test database from being dropped.
        if duty.key is None:
            digest = hashlib.blake2b(f"virtconsole:{self._database}:{duty.name}".encode(), digest_size=8).digest()
            duty.key = int.from_bytes(digest, "big", signed=True)
        return duty.key

    def _connect(self):
        import psycopg  # only a PostgreSQL cluster needs it

        params = default_connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        params["dbname"] = "postgres"
        conn = psycopg.connect(**params, autocommit=True, connect_timeout=5)
        return conn

    def try_to_hold(self, duties):
        gained = []
        with self._conn_lock:
            try:
                if self._conn is None:
                    self._conn = self._connect()
                for duty in duties:
                    if not duty.held and duty.name in _duties and duty.eligible():
                        held = self._conn.execute("select pg_try_advisory_lock(%s)", [self.key_of(duty)]).fetchone()[0]
                        if held:
                            gained.append(duty)
            except Exception as exc:  # PostgreSQL away: no duty here until it answers again
                self._drop_connection(exc)
                return
        for duty in gained:
            _gained(duty)

    def release(self, duty):
        with self._conn_lock:
            if self._conn is not None:
                try:
                    self._conn.execute("select pg_advisory_unlock(%s)", [self.key_of(duty)])
                except Exception as exc:
                    self._drop_connection(exc)

    def _drop_connection(self, exc):
        """The lock connection failed: its locks may be gone, so every duty is given up now (caller holds the lock)."""
        log.warning("the cluster's lock connection failed (%s); giving up this process's duties until it answers", exc)
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # already broken
                pass
        for duty in list(_duties.values()):
            if duty.held:
                _lost(duty)

    def _still_connected(self):
        with self._conn_lock:
            if self._conn is None:
                return False
            try:
                self._conn.execute("select 1")
                return True
            except Exception as exc:
                self._drop_connection(exc)
                return False

    def _keep_trying(self):
        checks = 0
        while True:
            time.sleep(CHECK_SECONDS)
            self._still_connected()
            checks += 1
            if checks * CHECK_SECONDS < RETRY_SECONDS:
                continue
            checks = 0
            with _lock:
                waiting = [duty for duty in _duties.values() if not duty.held]
            if waiting or self._conn is None:
                self.try_to_hold(waiting)
