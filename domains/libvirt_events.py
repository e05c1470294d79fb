"""Libvirt's event loop (libvirtaio on asyncio) and the in-process hub its events go through."""

import asyncio
import logging
import threading

import libvirtaio

log = logging.getLogger(__name__)

_loop = None
_loop_lock = threading.Lock()
_listeners = []


def attach_to_running_loop():
    """Run libvirt's events on the caller's asyncio loop (Daphne's, at the first request)."""
    global _loop
    with _loop_lock:
        if _loop is None:
            _loop = asyncio.get_running_loop()
            libvirtaio.virEventRegisterAsyncIOImpl(loop=_loop)
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
            libvirtaio.virEventRegisterAsyncIOImpl(loop=loop)
            loop.call_soon(ready.set)
            loop.run_forever()

        threading.Thread(target=run, name="libvirt-events", daemon=True).start()
        ready.wait()
        _loop = loop
        return loop


def event_loop():
    return _loop


def subscribe(listener):
    """listener(event: dict) is called on libvirt's event loop for every event."""
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
