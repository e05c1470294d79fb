"""Fixtures for the QEMU extras' integration tests: one booted demo guest per module, users with grants, sockets."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from domains.libvirt import adapter
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain
from qemu_extras.version import EXTRAS_WS_SUBPROTOCOL
from tests.conftest import drain_event_workers

# Everything a power user has on the monitor, but not monitor_admin.
OPERATOR_PERMISSIONS = ["getattr", "read", "write", "suspend", "monitor_read", "monitor_write", "agent"]


def demo_dom(host):
    return adapter.connection_for(host).get().lookupByName("demo")


def put_back(host, original, django_db_blocker):
    """Shut the demo guest off and define it as original, after a module's last test.

    The events this sends are written while the database is still open to them: past the last test's
    teardown, a writer refused by the closed database logs its failure from its thread, and did so once
    while pytest was reporting a failure, which that broke (tests/thread_safe_ast.py).
    """
    with django_db_blocker.unblock():
        dom = demo_dom(host)
        if dom.isActive():
            dom.destroy()
        adapter.connection_for(host).get().defineXML(original)
        drain_event_workers()


@pytest.fixture(scope="module")
def booted(embedded_host, django_db_blocker):
    """The demo guest running for a whole module (one boot, ~3 s); its definition is restored afterwards."""
    dom = demo_dom(embedded_host)
    original = dom.XMLDesc(0x1 | 0x2)  # inactive | secure
    if not dom.isActive():
        dom.create()
    yield embedded_host
    put_back(embedded_host, original, django_db_blocker)


def domain_row(host):
    """The demo guest's Domain row (transactional tests flush tables, so the host row is saved again)."""
    host.save()
    inventory.sync_host(host)
    return Domain.objects.get(host=host, name="demo")


@pytest.fixture
def demo(booted, transactional_db):
    """The running demo guest's Domain row."""
    return domain_row(booted)


@pytest.fixture
def operator_grant(embedded_host, transactional_db, grant, define_role):
    """The teammate's grant of monitor_read, monitor_write and agent on the demo guest, but not monitor_admin."""
    return grant(define_role("QEMU operator (test)", OPERATOR_PERMISSIONS), domain=domain_row(embedded_host))


def api_client(user):
    client = Client()
    client.force_login(user)
    return client


def post_json(client, path, body):
    return client.post(path, body, content_type="application/json")


async def monitor_socket(user, domain, subprotocols=(EXTRAS_WS_SUBPROTOCOL,)):
    """A WebsocketCommunicator on the full ASGI stack, signed in as user."""
    from console.asgi import application

    cookie = await database_sync_to_async(lambda: api_client(user).cookies["sessionid"].value)()
    headers = [(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1"), (b"cookie", f"sessionid={cookie}".encode())]
    return WebsocketCommunicator(application, f"/ws/v1/domains/{domain.uuid}/monitor", headers=headers,
                                 subprotocols=list(subprotocols))
