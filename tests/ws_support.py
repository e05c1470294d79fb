"""Websocket clients on the full ASGI stack, signed in as a test user, for the live-session tests."""

from channels.testing import WebsocketCommunicator
from django.test import Client

from console.asgi import application
from domains.api.ws_protocol import SUBPROTOCOL
from domains.consoles.models import ConsoleTicket

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


def ticket_url(user, domain, kind):
    token = ConsoleTicket.objects.issue(user, domain, kind)
    return f"/ws/v1/domains/{domain.uuid}/{kind}?ticket={token}", token
