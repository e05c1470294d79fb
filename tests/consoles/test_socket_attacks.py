"""Attacks on the /ws/v1/ sockets, each refused without effect and audited once (fast: test:/// driver)."""

import json

import pytest
from channels.db import database_sync_to_async
from django.contrib.sessions.models import Session

from console.sockets.base import LiveSocket
from domains.access.models import AuditEntry
from domains.definitions.create import HostOffer, NewDomain, new_domain_xml
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain
from qemu_extras.monitor.socket import MonitorSocket
from qemu_extras.version import EXTRAS_WS_SUBPROTOCOL
from tests.ws_support import communicator, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def domain(make_test_host):
    host = make_test_host(domains=2, running=(0,))
    inventory.sync_host(host)
    return Domain.objects.get(host=host, name="vm0000")


@database_sync_to_async
def refusals():
    return list(AuditEntry.objects.filter(outcome="denied").values_list("actor_name", "action", "parameters"))


async def _open(path, user, host=b"127.0.0.1:8000", origin=b"http://127.0.0.1:8000", subprotocol="virtconsole.v1"):
    cookie = await database_sync_to_async(session_cookie)(user) if user is not None else None
    comm = communicator(path, cookie, origin=origin, subprotocols=(subprotocol,))
    comm.scope["headers"] = [(b"host", host)] + [h for h in comm.scope["headers"] if h[0] != b"host"]
    connected, _ = await comm.connect(timeout=10)
    return comm, connected, cookie


async def _until_closed(comm, limit=10):
    """The JSON messages the socket sends until it closes, and its close code."""
    seen = []
    for _ in range(limit):
        output = await comm.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            return seen, output.get("code")
        if output.get("text"):
            seen.append(json.loads(output["text"]))
    raise AssertionError(f"the socket did not close: {seen}")


# --- one base for every socket ---

def test_every_socket_derives_from_the_one_live_socket_base():
    from console.consoles.serial import SerialConsoleSocket
    from console.consoles.vnc import VncConsoleSocket
    from console.events.socket import EventsSocket

    for socket in (EventsSocket, SerialConsoleSocket, VncConsoleSocket, MonitorSocket):
        assert issubclass(socket, LiveSocket), socket
    assert MonitorSocket.accepted_subprotocols == (EXTRAS_WS_SUBPROTOCOL,)
    assert not hasattr(MonitorSocket, "_recheck_permission"), "no poll: the sessions registry rechecks it"


# --- the origin check compares scheme, host and port ---

async def test_a_page_on_another_port_of_the_same_host_cannot_open_the_monitor(owner, domain):
    comm, connected, _ = await _open(f"/ws/v1/domains/{domain.uuid}/monitor", owner,
                                     origin=b"http://127.0.0.1:8081", subprotocol=EXTRAS_WS_SUBPROTOCOL)
    assert not connected
    assert await refusals() == [("alice", f"refused WEBSOCKET /ws/v1/domains/{domain.uuid}/monitor",
                                 {"reason": "bad_origin", "origin": "http://127.0.0.1:8081"})]


@pytest.mark.parametrize("origin", [b"https://127.0.0.1:8000", b"http://localhost:8000", b"null",
                                    b"http://127.0.0.1"])
async def test_it_refuses_an_origin_with_another_scheme_host_or_port(owner, origin):
    _, connected, _ = await _open("/ws/v1/events", owner, origin=origin)
    assert not connected
    assert [reason["reason"] for _, _, reason in await refusals()] == ["bad_origin"]


async def test_it_accepts_the_sites_own_origin_on_its_own_port(owner):
    comm, connected, _ = await _open("/ws/v1/events", owner)
    assert connected
    assert (await comm.receive_json_from())["type"] == "hello"
    await comm.disconnect()
    assert await refusals() == []


async def test_it_accepts_a_trusted_origin(owner, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://console.example.com"]
    comm, connected, _ = await _open("/ws/v1/events", owner, origin=b"https://console.example.com")
    assert connected
    await comm.disconnect()


async def test_it_refuses_a_host_header_outside_allowed_hosts_even_from_the_same_origin(owner):
    _, connected, _ = await _open("/ws/v1/events", owner, host=b"evil.example:8000",
                                  origin=b"http://evil.example:8000")
    assert not connected


# --- refusals are audited once each ---

async def test_an_anonymous_socket_is_refused_and_audited_once():
    _, connected, _ = await _open("/ws/v1/events", None)
    assert not connected
    assert await refusals() == [("anonymous", "refused WEBSOCKET /ws/v1/events", {"reason": "not_signed_in"})]


async def test_a_forged_ticket_is_refused_and_audited_once_without_the_ticket(owner, domain):
    comm, connected, _ = await _open(f"/ws/v1/domains/{domain.uuid}/serial?ticket=made-up-secret", owner)
    messages, code = await _until_closed(comm)
    assert (messages[-1]["code"], code) == ("ticket_forged", 4003)
    entries = await refusals()
    assert entries == [("alice", f"refused WEBSOCKET /ws/v1/domains/{domain.uuid}/serial",
                        {"reason": "ticket_forged"})]
    assert "made-up-secret" not in str(entries)


async def test_a_console_without_its_permission_is_refused_and_audited_once_with_the_permission(teammate, grant, domain):
    from domains.consoles.models import ConsoleTicket

    await database_sync_to_async(grant)("Viewer", domain=domain)
    viewer = teammate
    token = await database_sync_to_async(ConsoleTicket.objects.issue)(viewer, domain, "vnc")
    comm, _, _ = await _open(f"/ws/v1/domains/{domain.uuid}/vnc?ticket={token}", viewer)
    messages, code = await _until_closed(comm)
    assert (messages[-1]["code"], code) == ("permission_denied", 4003)
    assert await refusals() == [("bob", f"refused WEBSOCKET /ws/v1/domains/{domain.uuid}/vnc",
                                 {"reason": "permission_denied", "permission": "open_graphics"})]


async def test_a_monitor_without_monitor_read_is_refused_and_audited_once(teammate, grant, domain):
    await database_sync_to_async(grant)("Viewer", domain=domain)
    viewer = teammate
    comm, _, _ = await _open(f"/ws/v1/domains/{domain.uuid}/monitor", viewer, subprotocol=EXTRAS_WS_SUBPROTOCOL)
    messages, code = await _until_closed(comm)
    assert [m["code"] for m in messages] == ["permission_denied"] and code == 4003
    assert await refusals() == [("bob", f"refused WEBSOCKET /ws/v1/domains/{domain.uuid}/monitor",
                                 {"reason": "permission_denied", "permission": "monitor_read"})]


# --- deep or huge JSON is answered, not a traceback ---

@pytest.mark.parametrize("text, code", [("[" * 10_000 + "]" * 10_000, "message_too_deep"),
                                        ('{"type": "subscribe", "x": "' + "a" * 200_000 + '"}', "message_too_large"),
                                        ('{"type": ' * 50 + "1" + "}" * 50, "message_too_deep")])
async def test_deep_or_huge_json_on_the_events_socket_gets_a_protocol_error_and_the_socket_stays(owner, text, code):
    comm, _, _ = await _open("/ws/v1/events", owner)
    await comm.receive_json_from()  # hello
    await comm.send_to(text_data=text)
    error = await comm.receive_json_from(timeout=5)
    assert (error["type"], error["code"]) == ("error", code)
    await comm.send_json_to({"type": "subscribe", "domains": []})
    assert (await comm.receive_json_from(timeout=5))["type"] == "subscribed"
    await comm.disconnect()


# --- ended accounts and sessions end their sockets ---

async def test_deactivating_a_user_ends_their_open_sockets(owner, outsider):
    comm, _, _ = await _open("/ws/v1/events", outsider)
    await comm.receive_json_from()
    outsider.is_active = False
    await database_sync_to_async(outsider.save)()
    messages, code = await _until_closed(comm)
    assert messages[-1]["code"] == "logged_out" and code == 4001


async def test_deleting_a_session_ends_the_sockets_opened_with_it_only(outsider):
    comm, _, cookie = await _open("/ws/v1/events", outsider)
    other, _, _ = await _open("/ws/v1/events", outsider)
    await comm.receive_json_from()
    await other.receive_json_from()
    await database_sync_to_async(lambda: Session.objects.filter(session_key=cookie).delete())()
    messages, code = await _until_closed(comm)
    assert code == 4001
    await other.send_json_to({"type": "subscribe", "domains": []})
    assert (await other.receive_json_from(timeout=5))["type"] == "subscribed"
    await other.disconnect()


async def test_deleting_a_user_ends_their_open_sockets(outsider):
    comm, _, _ = await _open("/ws/v1/events", outsider)
    await comm.receive_json_from()
    await database_sync_to_async(outsider.delete)()
    _, code = await _until_closed(comm)
    assert code == 4001


# --- domains the console creates on the embedded host listen nowhere ---

def test_a_domain_created_on_the_embedded_host_has_vnc_without_a_tcp_listen():
    offer = HostOffer(domain_types=["qemu"], arches=["x86_64"], embedded=True, emulator="/usr/bin/qemu-system-x86_64")
    xml = new_domain_xml(NewDomain(name="x", arch="x86_64", machine="pc", disk="none"), offer)
    assert "<graphics type='vnc'><listen type='none'/></graphics>" in xml
    assert "127.0.0.1" not in xml and "autoport" not in xml


def test_the_demo_guest_has_vnc_without_a_tcp_listen(tmp_path):
    from domains.hosts.embedded import demo_domain_xml

    xml = demo_domain_xml(tmp_path)
    assert "<listen type='none'/>" in xml and "listen='127.0.0.1'" not in xml
