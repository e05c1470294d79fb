"""Requests' threads are pooled (console/request_threads.py): one thread per request in flight, kept with its
database connection for the next request; every other thread still closes its connection when its work ends."""

import asyncio
import threading

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.db import close_old_connections, connection

from console import request_threads
from console.request_threads import RequestThread

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def no_idle_request_threads():
    """Each test starts with no idle request thread and leaves none, nor a connection open on one."""
    request_threads.end_idle_threads()
    yield
    request_threads.end_idle_threads()


def a_request():
    """What a request does on its thread: Django's checks at its start and end around a query."""
    close_old_connections()  # request_started
    get_user_model().objects.exists()
    here = threading.current_thread(), connection.connection
    close_old_connections()  # request_finished
    return here


async def serve(work):
    async with RequestThread():
        return await sync_to_async(work)()


def closed(dbapi_connection):
    try:
        dbapi_connection.cursor().execute("SELECT 1")
    except Exception:  # each driver says "closed" its own way
        return True
    return False


async def test_the_next_request_runs_on_the_same_thread_with_the_same_database_connection():
    first_thread, first_connection = await serve(a_request)
    second_thread, second_connection = await serve(a_request)

    assert second_thread == first_thread
    assert second_connection is first_connection
    assert not closed(second_connection)


async def test_requests_at_the_same_time_each_have_a_thread_of_their_own():
    both_inside = threading.Barrier(2, timeout=5)  # broken if one request had to wait for the other's thread

    def meet():
        both_inside.wait()
        return threading.current_thread()

    first, second = await asyncio.gather(serve(meet), serve(meet))

    assert first != second


async def test_threads_beyond_the_idle_ones_end_and_close_their_connection(monkeypatch):
    monkeypatch.setattr(request_threads, "IDLE_THREADS", 1)
    all_inside = threading.Barrier(3, timeout=5)

    def busy_request():
        here = a_request()
        all_inside.wait()
        return here

    served = await asyncio.gather(*(serve(busy_request) for _ in range(3)))

    kept = await serve(a_request)
    ended = [(thread, dbapi) for thread, dbapi in served if thread != kept[0]]
    assert len(ended) == 2
    for thread, dbapi in ended:
        thread.join(timeout=5)
        assert not thread.is_alive()
        assert closed(dbapi)
    assert not closed(kept[1])


async def test_a_cancelled_requests_thread_is_not_given_to_the_next_request():
    inside, release, view_threads = threading.Event(), threading.Event(), []

    def slow_view():
        view_threads.append(threading.current_thread())
        inside.set()
        release.wait(10)

    cancelled = asyncio.get_running_loop().create_task(serve(slow_view))
    await asyncio.to_thread(inside.wait, 5)
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    try:
        # Given the cancelled request's thread, this would wait for its view to end, and time out.
        next_thread = await asyncio.wait_for(serve(threading.current_thread), 5)
    finally:
        release.set()

    assert next_thread is not view_threads[0]
    view_threads[0].join(timeout=5)
    assert not view_threads[0].is_alive()  # it ended once its view did


async def test_a_task_the_request_started_still_runs_sync_code_after_the_request_ended():
    request_ended = asyncio.Event()

    async def later():
        await request_ended.wait()
        return await sync_to_async(threading.current_thread)()

    async with RequestThread():
        request_thread = await sync_to_async(threading.current_thread)()
        task = asyncio.get_running_loop().create_task(later())
    request_ended.set()

    assert await task != request_thread  # not the thread a next request may be running on


def test_any_other_thread_closes_its_connection_when_its_work_ends():
    seen = {}

    def work():
        get_user_model().objects.exists()
        seen["dbapi"] = connection.connection
        close_old_connections()  # as the event writer, the keepers and database_sync_to_async do
        seen["after"] = connection.connection

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()

    assert seen["after"] is None
    assert closed(seen["dbapi"])
