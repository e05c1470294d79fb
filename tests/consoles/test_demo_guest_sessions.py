"""Live sessions against the real demo guest: serial shell, VNC screen, pushed lifecycle events, session ends."""

import asyncio
import random
import struct
import time

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async

from console.sockets import sessions
from domains.lifecycle.actions import do_domain_action
from tests.ws_support import ticket_url

pytestmark = [pytest.mark.embedded, pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


async def read_until(comm, needle, timeout=30.0):
    """Collect binary frames until needle shows up; returns everything read."""
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"{needle!r} not seen within {timeout} s; got {seen[-400:]!r}")
        # receive_output's own timeout would cancel the consumer: poll instead.
        if await comm.receive_nothing(timeout=min(0.1, left), interval=0.01):
            continue
        message = await comm.receive_output()
        if message["type"] == "websocket.close":
            raise AssertionError(f"socket closed before {needle!r}; got {seen[-400:]!r}")
        seen += message.get("bytes") or b""
    return seen


async def open_serial(connect, user, domain):
    url, _ = await database_sync_to_async(ticket_url)(user, domain, "serial")
    comm, connected, _ = await connect(url, user)
    assert connected
    assert (await comm.receive_json_from())["type"] == "hello"
    opened = await comm.receive_json_from(timeout=10)
    assert opened["type"] == "console.opened", opened
    return comm


async def wait_for_shell(comm):
    """Poke the shell until it prompts: the guest may still be booting."""
    for _ in range(20):
        await comm.send_to(bytes_data=b"\r")
        try:
            return await read_until(comm, b"/ # ", timeout=2)
        except AssertionError:
            continue
    raise AssertionError("the demo guest's shell never prompted")


async def test_the_serial_console_answers_a_typed_command(connect, owner, demo):
    comm = await open_serial(connect, owner, demo)
    await wait_for_shell(comm)
    word = f"hello-{random.randint(10000, 99999)}"
    await comm.send_to(bytes_data=f"echo {word}\r".encode())
    seen = await read_until(comm, f"\n{word}".encode())
    assert f"echo {word}".encode() in seen
    await comm.disconnect()


async def test_the_serial_console_closes_cleanly_when_the_domain_stops(connect, owner, demo):
    comm = await open_serial(connect, owner, demo)
    await sync_to_async(do_domain_action)(owner, demo, "destroy")
    started = time.monotonic()
    while True:
        message = await comm.receive_output(timeout=5)
        if message.get("text") and '"console.closed"' in message["text"]:
            assert '"domain_stopped"' in message["text"]
            break
    closed = await comm.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 4000}
    assert time.monotonic() - started < 1.0


async def test_a_second_user_needs_to_take_over_a_held_serial_console(connect, owner, teammate, grant, demo):
    await database_sync_to_async(grant)("Power user", domain=demo)  # the first built-in role with console_takeover
    first = await open_serial(connect, owner, demo)
    url, _ = await database_sync_to_async(ticket_url)(teammate, demo, "serial")
    refused, _, _ = await connect(url, teammate)
    await refused.receive_json_from()
    answer = await refused.receive_json_from()
    assert answer.get("code") == "console_busy", (answer, await first.receive_output(timeout=1))
    assert answer["holder"] == owner.username  # the page says who, in its own words
    url, _ = await database_sync_to_async(ticket_url)(teammate, demo, "serial")
    second, _, _ = await connect(url + "&takeover=1", teammate)
    await second.receive_json_from()
    assert (await second.receive_json_from())["took_over"] is True
    while True:
        message = await first.receive_output(timeout=5)
        if message.get("text") and '"console.closed"' in message["text"]:
            assert '"taken_over"' in message["text"]
            break
    await second.disconnect()


async def test_logging_out_closes_open_consoles_within_a_second(connect, owner, demo):
    comm = await open_serial(connect, owner, demo)
    started = time.monotonic()
    sessions.on_logout(sender=None, request=None, user=owner)
    while True:
        message = await comm.receive_output(timeout=2)
        if message["type"] == "websocket.close":
            assert message["code"] == 4001
            break
    assert time.monotonic() - started < 1.0


async def test_the_vnc_socket_completes_the_rfb_handshake_and_sends_a_screen(connect, owner, demo):
    url, _ = await database_sync_to_async(ticket_url)(owner, demo, "vnc")
    comm, connected, subprotocol = await connect(url, owner, subprotocols=("binary",))
    assert connected and subprotocol == "binary"
    buffer = bytearray()

    async def take(count):
        while len(buffer) < count:
            buffer.extend((await comm.receive_output(timeout=10))["bytes"])
        data = bytes(buffer[:count])
        del buffer[:count]
        return data

    assert (await take(12)).startswith(b"RFB 003.008")
    await comm.send_to(bytes_data=b"RFB 003.008\n")
    count = (await take(1))[0]
    security_types = await take(count)
    assert 1 in security_types, "SKIPAUTH: no VNC password asked"
    await comm.send_to(bytes_data=b"\x01")
    assert await take(4) == b"\x00\x00\x00\x00"
    await comm.send_to(bytes_data=b"\x01")  # ClientInit, shared
    width, height = struct.unpack(">HH", await take(4))
    await take(16)
    name_length = struct.unpack(">I", await take(4))[0]
    await take(name_length)
    assert width > 0 and height > 0
    await comm.send_to(bytes_data=struct.pack(">BxHi", 2, 1, 0))  # SetEncodings: raw
    await comm.send_to(bytes_data=struct.pack(">BBHHHH", 3, 0, 0, 0, width, height))  # full update request
    message_type = (await take(1))[0]
    assert message_type == 0, "FramebufferUpdate"
    await take(1)
    rectangles = struct.unpack(">H", await take(2))[0]
    assert rectangles >= 1
    await comm.disconnect()


async def test_a_lifecycle_action_reaches_a_subscribed_socket(connect, owner, live_host):
    from domains.lifecycle.models import Domain

    domain = await database_sync_to_async(Domain.objects.get)(host=live_host, name="demo")
    comm, _, _ = await connect("/ws/v1/events", owner)
    await comm.receive_json_from()
    await comm.send_json_to({"type": "subscribe", "domains": [str(domain.uuid)], "hosts": [live_host.pk]})
    subscribed = await comm.receive_json_from()
    assert subscribed["domains"] == [str(domain.uuid)] and subscribed["refused"] == []
    assert (await comm.receive_json_from())["type"] == "host.health"
    await sync_to_async(do_domain_action)(owner, domain, "start")
    try:
        while True:
            event = await comm.receive_json_from(timeout=10)
            if event["type"] == "domain.lifecycle" and event["event"] == "started":
                break
        assert (event["uuid"], event["event"], event["detail"]) == (str(domain.uuid), "started", "booted")
    finally:
        await sync_to_async(do_domain_action)(owner, domain, "destroy")
    await comm.disconnect()


async def test_live_stats_come_from_one_bulk_call_per_host_however_many_sockets_watch(connect, owner, demo):
    from console.events import stats_ticker

    sockets = []
    for _ in range(3):
        comm, _, _ = await connect("/ws/v1/events", owner)
        await comm.receive_json_from()
        await comm.send_json_to({"type": "subscribe", "domains": [str(demo.uuid)]})
        await comm.receive_json_from()
        await comm.send_json_to({"type": "watch_stats", "domains": [str(demo.uuid)]})
        sockets.append(comm)
    for comm in sockets:
        for _ in range(2):
            message = await comm.receive_json_from(timeout=10)
            assert message["type"] == "domain.stats"
            assert message["domains"][0]["uuid"] == str(demo.uuid)
    ticker = stats_ticker.ticker_for(demo.host_id)
    assert ticker.samples <= 3, "two ticks for three sockets, one bulk call each"
    assert message["domains"][0]["cpu_percent"] is not None
    for comm in sockets:
        await comm.disconnect()
    await asyncio.sleep(0)


async def test_losing_the_permission_closes_the_console_within_a_second(connect, owner, demo):
    comm = await open_serial(connect, owner, demo)
    sessions.recheck_sessions(user=owner, domain=demo)  # still allowed: stays open
    assert await comm.receive_nothing(timeout=0.3)
    started = time.monotonic()
    sessions.close_sessions(user=owner, domain=demo)
    while True:
        message = await comm.receive_output(timeout=2)
        if message.get("text") and '"console.closed"' in message["text"]:
            assert '"permission_lost"' in message["text"]
        if message["type"] == "websocket.close":
            assert message["code"] == 4000
            break
    assert time.monotonic() - started < 1.0
