"""For every websocket route and every kind of user, the socket answers exactly as the grants say.

Console tickets are issued directly here, whatever the user holds, so the socket's own check is
what is tested (the ticket API's check is in the HTTP matrix). The expectation comes from the
same independent model as the HTTP matrix.
"""

import json

import pytest
from channels.db import database_sync_to_async

from domains.access.permission_names import AUTHENTICATED
from domains.api.ws_protocol import SUBPROTOCOL
from domains.consoles.models import ConsoleTicket
from qemu_extras.version import EXTRAS_WS_SUBPROTOCOL
from tests.access.routes import websocket_routes
from tests.access.test_authorization_matrix import PERSONAS, holds, sees

pytestmark = pytest.mark.django_db(transaction=True)

# (route pattern, the permission it needs, ticket kind or None, subprotocol)
WS_CASES = [
    ("ws/v1/events", AUTHENTICATED, None, SUBPROTOCOL),
    ("ws/v1/domains/<uuid:uuid>/serial", "open_device", "serial", SUBPROTOCOL),
    ("ws/v1/domains/<uuid:uuid>/vnc", "open_graphics", "vnc", SUBPROTOCOL),
    ("ws/v1/domains/<uuid:uuid>/monitor", "monitor_read", None, EXTRAS_WS_SUBPROTOCOL),
]
REFUSALS = {"not_found", "permission_denied"}


async def _messages(comm, limit=5):
    """The JSON messages the socket sends until it closes (or is quiet for a second), and its close code."""
    seen = []
    for _ in range(limit):
        # receive_nothing waits without cancelling the consumer, unlike a receive_output timeout.
        if await comm.receive_nothing(timeout=1.0):
            return seen, None
        output = await comm.receive_output()
        if output["type"] == "websocket.close":
            return seen, output.get("code")
        if output.get("text"):
            seen.append(json.loads(output["text"]))
    return seen, None


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("case", WS_CASES, ids=[c[0].rsplit("/", 1)[-1] for c in WS_CASES])
async def test_each_socket_answers_each_persona_exactly(connect, world, case, persona):
    pattern, need, kind, subprotocol = case
    target = world["target"]
    user = None if persona == "anonymous" else world["people"][persona]
    path = pattern.replace("<uuid:uuid>", str(target.uuid))
    if kind is not None and user is not None:
        token = await database_sync_to_async(ConsoleTicket.objects.issue)(user, target, kind)
        path += f"?ticket={token}"
    comm, connected, _ = await connect(path, user, subprotocols=(subprotocol,))
    if persona == "anonymous":
        assert not connected
        return
    assert connected, f"{pattern} as {persona}: not even accepted"
    messages, code = await _messages(comm)
    errors = {m.get("code") for m in messages if m.get("type") == "error"}
    where = f"{pattern} as {persona}: {messages} close={code}"
    if need == AUTHENTICATED or holds(persona, need, "domain"):
        assert not errors & REFUSALS and not any(e and e.startswith("ticket_") for e in errors), where
    elif not sees(persona, "domain"):
        assert "not_found" in errors, where
    else:
        assert "permission_denied" in errors, where
        assert any(need in m.get("message", "") for m in messages), where
    await comm.disconnect()


def test_the_websocket_matrix_covers_every_websocket_route():
    covered = {case[0] for case in WS_CASES}
    missing = sorted(r.pattern for r in websocket_routes() if r.pattern not in covered)
    assert not missing, f"Websocket routes without a case in WS_CASES: {missing}"
