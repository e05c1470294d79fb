"""Stopping the server cleanly: HTTP requests in flight finish, within a bound, before the loop stops.

On SIGTERM Daphne cancels every application coroutine and lets Twisted stop the
asyncio loop as soon as the first of them is done. A cancelled request's thread
carries on (a thread cannot be cancelled), but what it still needs from the loop
never comes: the async middleware it calls back into, and on the embedded host
libvirt's own events (QEMU's monitor replies run on this loop). Those threads
then wait for ever, and so does the interpreter, which joins them before it exits.

So a request in flight is shielded from the cancel, and Twisted's shutdown waits
(a "before shutdown" trigger) until every one has finished, for STOP_GRACE
seconds at most, while the loop still runs: the libvirt call completes, the
revision and audit entry are written, the answer reaches the client. If some
request is still running after that, it is abandoned and the process ends
shortly after the loop stops, rather than hang on threads that cannot finish.
"""

import asyncio
import logging
import os
import sys
import threading

from django.conf import settings

log = logging.getLogger(__name__)

_in_flight = set()  # the tasks answering HTTP requests (strong references: the loop keeps only weak ones)
_trigger_added = False


async def finishing_requests(app, scope, receive, send):
    """Run app for one connection; an HTTP request outlives Daphne's cancel by up to STOP_GRACE seconds."""
    if scope["type"] != "http":
        await app(scope, receive, send)  # websockets end with the server: their clients reconnect
        return
    _hold_shutdown_for_requests()
    task = asyncio.ensure_future(app(scope, receive, send))
    _in_flight.add(task)
    task.add_done_callback(_in_flight.discard)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait({task}, timeout=settings.STOP_GRACE)
        if not task.done():
            task.cancel()
        raise


def _hold_shutdown_for_requests():
    """Once per process, under a running Twisted reactor (Daphne): its shutdown waits for the requests."""
    global _trigger_added
    # Only a reactor someone installed: importing twisted.internet.reactor would install one.
    reactor = sys.modules.get("twisted.internet.reactor")
    if _trigger_added or reactor is None or not reactor.running:
        return
    _trigger_added = True
    reactor.addSystemEventTrigger("before", "shutdown", _requests_finished)


def _requests_finished():
    """A Deferred that fires once the requests in flight are done, or STOP_GRACE seconds have passed."""
    from twisted.internet import defer

    running = set(_in_flight)
    if not running:
        return None
    log.info("Stopping: waiting for %d request(s) in flight (at most %s s).", len(running), settings.STOP_GRACE)
    waited = defer.Deferred.fromFuture(asyncio.ensure_future(asyncio.wait(running, timeout=settings.STOP_GRACE)))
    waited.addCallback(_abandon_the_rest)
    return waited


def _abandon_the_rest(done_and_pending):
    _done, pending = done_and_pending
    if pending:
        log.error("Stopping: %d request(s) did not finish within %s s and were abandoned.", len(pending),
                  settings.STOP_GRACE)
        for task in pending:
            task.cancel()
        _exit_soon()


def _exit_soon():
    """End the process shortly after the loop stops: an abandoned request's thread would block the exit for ever."""
    def backstop():
        threading.Event().wait(5)  # the reactor's own shutdown first: listeners closed, logs flushed
        log.error("Stopping: threads of abandoned requests still run; exiting now.")
        logging.shutdown()
        os._exit(1)

    threading.Thread(target=backstop, name="stop-backstop", daemon=True).start()
