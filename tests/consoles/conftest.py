"""Fixtures for the live-session tests: signed-in websocket clients and a running demo guest."""

import time

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from console.asgi import application
from domains.access.lookups import libvirt_domain
from domains.api.ws_protocol import SUBPROTOCOL
from domains.consoles.models import ConsoleTicket
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain

ORIGIN = b"http://127.0.0.1"


def session_cookie(user):
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def communicator(path, cookie=None, origin=ORIGIN, subprotocols=(SUBPROTOCOL,)):
    """A WebsocketCommunicator on the full ASGI stack (origin check, session auth, routing)."""
    headers = [(b"host", b"127.0.0.1")]
    if origin is not None:
        headers.append((b"origin", origin))
    if cookie is not None:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return WebsocketCommunicator(application, path, headers=headers, subprotocols=list(subprotocols))


@pytest.fixture
def connect():
    """connect(path, user, ...) -> connected communicator; disconnected at the end of the test."""
    opened = []

    async def open_(path, user=None, **kwargs):
        cookie = await database_sync_to_async(session_cookie)(user) if user is not None else None
        comm = communicator(path, cookie, **kwargs)
        connected, subprotocol = await comm.connect(timeout=10)
        opened.append(comm)
        return comm, connected, subprotocol

    yield open_
    # Communicators close with their test's loop; nothing to await here.
    opened.clear()


def ticket_url(user, domain, kind):
    token = ConsoleTicket.objects.issue(user, domain, kind)
    return f"/ws/v1/domains/{domain.uuid}/{kind}?ticket={token}", token


@pytest.fixture
def live_host(embedded_host, transactional_db):
    """The embedded host with its row present (transactional tests flush tables between tests)."""
    embedded_host.save()
    inventory.sync_host(embedded_host)
    return embedded_host


@pytest.fixture
def demo(live_host):
    """The demo guest's Domain row, running and at its shell prompt; shut off afterwards."""
    domain = Domain.objects.get(host=live_host, name="demo")
    dom = libvirt_domain(domain)
    if not dom.isActive():
        dom.create()
    yield domain
    if dom.isActive():
        dom.destroy()
    # The stop event makes domains.lifecycle.inventory rewrite the row from a worker thread: let it
    # finish before the test's tables are flushed (SQLite would report them locked).
    time.sleep(0.5)
