"""Libvirt's event loop (libvirtaio on asyncio) and the in-process hub its events go through."""

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import libvirtaio
from django.db import close_old_connections

log = logging.getLogger(__name__)

_loop = None
_loop_lock = threading.Lock()
_listeners = []
_row_writer = None
_queued = 0  # writes handed to the writer and not done yet


class _WakingAsyncIOImpl(libvirtaio.virEventAsyncIOImpl):
    """libvirtaio, plus a wake-up of its loop when another thread changes a handle or a timer.

    libvirt dispatches events by arming a timer from its own threads (the
    embedded driver's, or the thread of a blocking call); plain libvirtaio
    then schedules work on a loop that sleeps on, so an event waits for the
    next unrelated wake-up (seconds, or forever on an idle loop).
    """

    def _from_other_thread(self):
        try:
            return asyncio.get_running_loop() is not self.loop
        except RuntimeError:
            return True

    def _woken(name):  # noqa: N805  (builds methods at class creation)
        def method(self, *args):
            result = getattr(libvirtaio.virEventAsyncIOImpl, name)(self, *args)
            if self._from_other_thread() and not self.loop.is_closed():
                self.loop.call_soon_threadsafe(_nothing)
            return result
        method.__name__ = name
        return method

    _add_handle = _woken("_add_handle")
    _update_handle = _woken("_update_handle")
    _remove_handle = _woken("_remove_handle")
    _add_timeout = _woken("_add_timeout")
    _update_timeout = _woken("_update_timeout")
    _remove_timeout = _woken("_remove_timeout")
    del _woken


def _nothing():
    pass


def _register_impl(loop):
    libvirtaio._current_impl = _WakingAsyncIOImpl(loop=loop).register()


def attach_to_running_loop():
    """Run libvirt's events on the caller's asyncio loop (Daphne's, at the first request)."""
    global _loop
    with _loop_lock:
        if _loop is None:
            _loop = asyncio.get_running_loop()
            _register_impl(_loop)
    return _loop


def ensure_event_loop():
    """The loop libvirt's events run on; outside a server, a thread of its own.

    libvirt needs an event implementation before the first open of an embed
    URI and before any event registration; it can be registered only once per
    process, so the first caller decides where it runs.
    """
    global _loop
    with _loop_lock:
        if _loop is not None:
            return _loop
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run():
            asyncio.set_event_loop(loop)
            _register_impl(loop)
            loop.call_soon(ready.set)
            loop.run_forever()

        threading.Thread(target=run, name="libvirt-events", daemon=True).start()
        ready.wait()
        _loop = loop
        return loop


def event_loop():
    return _loop


def subscribe(listener):
    """listener(event: dict) is called on libvirt's event loop for every event (once, however often subscribed)."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def unsubscribe(listener):
    if listener in _listeners:
        _listeners.remove(listener)


def publish(event):
    for listener in list(_listeners):
        try:
            listener(event)
        except Exception:  # one broken listener must not starve the others
            log.exception("event listener %r failed on %r", listener, event)


def publish_host_health(host_id, state, message):
    publish({"type": "host.health", "host": host_id, "state": state, "message": message})


def write_in_event_order(function, *args):
    """Run function(*args), which writes what an event says to the database, after those of earlier events.

    Not on the event loop (the database blocks) and not on a pool of threads either: events about one
    object must land in the order libvirt sent them, or a stop then a start written at once can leave a
    row saying stopped (a flaky test showed it). One thread, in order; events are few.
    """
    global _row_writer, _queued
    with _loop_lock:
        if _row_writer is None:
            _row_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="event-rows")
        _queued += 1
    _row_writer.submit(_write, function, args).add_done_callback(_log_failure)


def _write(function, args):
    """One event's write, on the writer's database connection, kept open while more writes wait.

    A storm of a thousand events used to open a connection for each (a third of
    its cost on SQLite); the connection is closed once the queue is empty, or
    after a failure that may have broken it.
    """
    global _queued
    failed = True
    try:
        function(*args)
        failed = False
    finally:
        with _loop_lock:
            _queued -= 1
            idle = _queued == 0
        if idle or failed:
            close_old_connections()


def wait_for_event_writes(timeout=10.0):
    """Return once every write handed to write_in_event_order so far is done (its one thread runs them in order)."""
    with _loop_lock:
        writer = _row_writer
    if writer is not None:
        writer.submit(lambda: None).result(timeout)


def _log_failure(future):
    if future.exception() is not None:
        log.error("writing an event to the database failed", exc_info=future.exception())
