"""The threads that run HTTP requests' synchronous code: one per request in flight, kept for the next requests.

Django's ASGI handler runs a request's synchronous part (the middleware, the view, the database) on a thread of its
own, so that a slow view holds up no other request. asgiref started a new thread for every request and a second one
to join it afterwards, and each request's thread opened a database connection and closed it again at the end
(CONN_MAX_AGE=0: a connection left open on a thread never used again would stay open). On 2 cores that was about
2 ms of every request (benchmarks/request_floor.py).

A request still has a thread to itself while it runs, but the thread is taken from the idle ones and given back
afterwards, with its database connection: the next request on it goes on with that connection (checked first,
CONN_HEALTH_CHECKS in settings.py, and replaced after CONNECTION_AGE seconds). At most IDLE_THREADS wait; a thread
beyond them ends, closing its connection on its way out. Every other thread (sockets, events, jobs) keeps
CONN_MAX_AGE=0.
"""

import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import SyncToAsync, ThreadSensitiveContext
from django.db import connections

# Threads kept idle for the next requests, each with one database connection: on PostgreSQL a process holds up to
# this many connections while nobody asks anything.
IDLE_THREADS = 8
# Seconds a request thread keeps a database connection before it opens a new one (checked between requests).
CONNECTION_AGE = 300

_idle = []  # one-thread executors waiting for a request, the most recently used last (list operations are atomic)
_this_thread = threading.local()
_numbers = itertools.count(1)  # names the threads apart in a profile or a dump


def _mark_request_thread():
    _this_thread.serves_requests = True


class RequestThread(ThreadSensitiveContext):
    """Django's thread-sensitive context of one request, on a thread taken from the idle ones and given back after."""

    executor = None

    async def __aenter__(self):
        await super().__aenter__()
        if self.token is not None:  # the outermost context: the request's own (a nested one changes nothing)
            try:
                self.executor = _idle.pop()
            except IndexError:
                self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"request-{next(_numbers)}",
                                                   initializer=_mark_request_thread)
            # asgiref runs a context's thread-sensitive calls on the executor this maps it to (it would make one).
            SyncToAsync.context_to_thread_executor[self] = self.executor
        return self

    async def __aexit__(self, exc_type, exc, traceback):
        if self.executor is not None:
            # Taken back before asgiref's exit, which shuts down what it finds mapped. A task the request started
            # that outlives it and calls sync code later gets a thread of its own from asgiref, as before, and
            # never the next request's.
            SyncToAsync.context_to_thread_executor.pop(self, None)
            if exc_type is None:
                _give_back(self.executor)
            else:
                # Cancelled (the client or the server went away), its thread may still be running the view: it
                # ends after that rather than hold up the next request.
                _end(self.executor)
            self.executor = None
        await super().__aexit__(exc_type, exc, traceback)


def _give_back(executor):
    if len(_idle) < IDLE_THREADS:
        _idle.append(executor)
    else:
        _end(executor)


def _end(executor, wait=False):
    # A thread's database connections are its own: closed on it, after whatever it still has to run.
    executor.submit(connections.close_all)
    executor.shutdown(wait=wait)


def end_idle_threads():
    """End every idle request thread and wait until it closed its database connections (tests that served
    requests in process: a connection left open would keep PostgreSQL from dropping the test database)."""
    while True:
        try:
            executor = _idle.pop()
        except IndexError:
            return
        _end(executor, wait=True)


def keep_connection(sender, connection, **kwargs):
    """connection_created receiver: a request thread's connection outlives its request, for CONNECTION_AGE."""
    if getattr(_this_thread, "serves_requests", False):
        connection.close_at = time.monotonic() + CONNECTION_AGE
