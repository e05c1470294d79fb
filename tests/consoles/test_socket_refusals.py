"""Who may open a /ws/v1/ socket: sign-in, origin, subprotocol and console tickets, refused when they must be."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from domains.consoles.models import ConsoleTicket
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain
from tests.ws_support import ticket_url

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def domain(make_test_host):
    host = make_test_host(domains=2, running=(0,))
    inventory.sync_host(host)
    return Domain.objects.get(host=host, name="vm0000")


async def test_it_refuses_an_anonymous_socket(connect):
    _, connected, _ = await connect("/ws/v1/events")
    assert not connected


async def test_it_refuses_a_cross_origin_socket(connect, owner):
    _, connected, _ = await connect("/ws/v1/events", owner, origin=b"https://evil.example")
    assert not connected


async def test_it_refuses_a_socket_without_the_subprotocol(connect, owner):
    _, connected, _ = await connect("/ws/v1/events", owner, subprotocols=())
    assert not connected


async def test_it_greets_a_signed_in_user_in_virtconsole_v1(connect, owner):
    comm, connected, subprotocol = await connect("/ws/v1/events", owner)
    assert connected and subprotocol == "virtconsole.v1"
    assert await comm.receive_json_from() == {"type": "hello", "protocol": "virtconsole.v1", "user": "alice"}
    await comm.disconnect()


async def _refusal(comm):
    await comm.receive_json_from()  # hello
    error = await comm.receive_json_from()
    closed = await comm.receive_output()
    assert closed["type"] == "websocket.close"
    return error, closed.get("code")


async def test_it_refuses_a_forged_ticket(connect, owner, domain):
    comm, connected, _ = await connect(f"/ws/v1/domains/{domain.uuid}/serial?ticket=made-up", owner)
    assert connected
    error, code = await _refusal(comm)
    assert (error["code"], code) == ("ticket_forged", 4003)


async def test_it_refuses_a_reused_ticket(connect, owner, domain):
    url, _ = await database_sync_to_async(ticket_url)(owner, domain, "serial")
    first, _, _ = await connect(url, owner)
    await first.receive_json_from()  # hello: the ticket is used from here on
    second, _, _ = await connect(url, owner)
    error, code = await _refusal(second)
    assert (error["code"], code) == ("ticket_reused", 4003)
    await first.disconnect()


async def test_it_refuses_an_expired_ticket(connect, owner, domain):
    url, token = await database_sync_to_async(ticket_url)(owner, domain, "serial")
    await database_sync_to_async(
        lambda: ConsoleTicket.objects.update(expires=timezone.now() - timedelta(seconds=1)))()
    comm, _, _ = await connect(url, owner)
    error, code = await _refusal(comm)
    assert (error["code"], code) == ("ticket_expired", 4003)


async def test_it_refuses_another_users_ticket(connect, owner, teammate, grant, domain):
    await database_sync_to_async(grant)("Console user", domain=domain)  # he may open it, with a ticket of his own
    url, _ = await database_sync_to_async(ticket_url)(owner, domain, "serial")
    comm, _, _ = await connect(url, teammate)
    error, code = await _refusal(comm)
    assert (error["code"], code) == ("ticket_wrong_user", 4003)
    # The rightful owner can still use it: a stolen URL does not burn it.
    mine, _, _ = await connect(url, owner)
    await mine.receive_json_from()
    assert (await mine.receive_json_from())["code"] != "ticket_wrong_user"


async def test_it_refuses_a_ticket_for_another_kind_of_console(connect, owner, domain):
    url, token = await database_sync_to_async(ticket_url)(owner, domain, "vnc")
    comm, _, _ = await connect(f"/ws/v1/domains/{domain.uuid}/serial?ticket={token}", owner)
    error, code = await _refusal(comm)
    assert (error["code"], code) == ("ticket_wrong_console", 4003)


async def test_it_hides_a_domain_the_user_may_not_see(connect, outsider, domain):
    comm, _, _ = await connect(f"/ws/v1/domains/{domain.uuid}/serial?ticket=x", outsider)
    error, code = await _refusal(comm)
    assert (error["code"], code) == ("not_found", 4004)


def test_it_stores_only_a_hash_of_the_ticket(owner, domain):
    _, token = ticket_url(owner, domain, "serial")
    ticket = ConsoleTicket.objects.get()
    assert token not in ticket.token_hash and len(ticket.token_hash) == 64
    assert ticket.expires - ticket.created <= timedelta(seconds=30)


def test_the_api_issues_a_ticket_and_its_socket_url(client, owner, domain):
    client.force_login(owner)
    response = client.post(f"/api/v1/domains/{domain.uuid}/console-tickets", {"kind": "serial"},
                           content_type="application/json")
    assert response.status_code == 201
    body = response.json()
    assert body["url"] == f"/ws/v1/domains/{domain.uuid}/serial?ticket={body['ticket']}"
    assert body["expires_in"] == 30


def test_the_api_hides_the_domain_from_an_outsider(client, outsider, domain):
    client.force_login(outsider)
    response = client.post(f"/api/v1/domains/{domain.uuid}/console-tickets", {"kind": "vnc"},
                           content_type="application/json")
    assert response.status_code == 404
    assert not ConsoleTicket.objects.exists()


def test_the_api_rejects_an_unknown_console_kind(client, owner, domain):
    client.force_login(owner)
    response = client.post(f"/api/v1/domains/{domain.uuid}/console-tickets", {"kind": "spice"},
                           content_type="application/json")
    assert response.status_code == 400
    assert "kind" in response.json()["fields"]


async def test_an_events_socket_refuses_domains_and_hosts_the_user_may_not_see(connect, outsider, domain):
    comm, connected, _ = await connect("/ws/v1/events", outsider)
    assert connected
    await comm.receive_json_from()
    await comm.send_json_to({"type": "subscribe", "domains": [str(domain.uuid)], "hosts": [domain.host_id]})
    answer = await comm.receive_json_from()
    assert answer == {"type": "subscribed", "domains": [], "hosts": [],
                      "refused": [str(domain.uuid), domain.host_id]}
    await comm.disconnect()


async def test_an_events_socket_answers_an_unknown_message_with_an_error(connect, owner):
    comm, _, _ = await connect("/ws/v1/events", owner)
    await comm.receive_json_from()
    await comm.send_json_to({"type": "frobnicate"})
    assert (await comm.receive_json_from())["code"] == "unknown_message"
    await comm.disconnect()
