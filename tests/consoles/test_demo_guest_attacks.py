"""Attacks on live sessions of the real demo guest: revoked viewers, input floods, deactivated users, open VNC ports."""

import asyncio
import time

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from lxml import etree

from console.consoles.serial import MAX_INPUT_FRAME
from console.events import stats_ticker
from console.sockets import sessions
from domains.access.grants import do_revoke
from domains.access.lookups import libvirt_domain
from domains.consoles.streams import MAX_PENDING_INPUT
from domains.lifecycle.actions import do_domain_action
from tests.consoles.test_demo_guest_sessions import open_serial, read_until

pytestmark = [pytest.mark.embedded, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


def _rss_kib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


async def _json_until(comm, wanted, timeout=10.0):
    """Read JSON messages until one of type wanted arrives; returns it and the ones before it."""
    before = []
    deadline = time.monotonic() + timeout
    while True:
        message = await comm.receive_json_from(timeout=max(0.1, deadline - time.monotonic()))
        if message["type"] == wanted:
            return message, before
        before.append(message)


async def _wait_for_samples(host_id, count, timeout=15.0):
    deadline = time.monotonic() + timeout
    start = stats_ticker.ticker_for(host_id).samples
    while stats_ticker.ticker_for(host_id).samples < start + count:
        assert time.monotonic() < deadline, "the stats ticker stopped ticking"
        await asyncio.sleep(0.05)


async def test_revoking_a_viewers_grant_stops_stats_and_events_on_their_events_socket(
        connect, owner, teammate, grant, demo):
    viewing = await database_sync_to_async(grant)("Viewer", domain=demo)
    watcher, _, _ = await connect("/ws/v1/events", owner)
    attacker, _, _ = await connect("/ws/v1/events", teammate)
    for comm in (watcher, attacker):
        await comm.receive_json_from()
        await comm.send_json_to({"type": "subscribe", "domains": [str(demo.uuid)]})
        assert (await comm.receive_json_from())["domains"] == [str(demo.uuid)]
    for comm in (watcher, attacker):  # the watcher's keep the host's ticker going after the revocation
        await comm.send_json_to({"type": "watch_stats", "domains": [str(demo.uuid)]})
    assert (await attacker.receive_json_from(timeout=10))["type"] == "domain.stats"

    started = time.monotonic()
    await sync_to_async(do_revoke)(owner, viewing)
    subscribed, _ = await _json_until(attacker, "subscribed", timeout=1.0)
    assert subscribed["domains"] == [] and time.monotonic() - started < 1.0

    await _wait_for_samples(demo.host_id, 2)
    await sync_to_async(do_domain_action)(owner, demo, "destroy")
    while (await _json_until(watcher, "domain.lifecycle"))[0]["event"] != "stopped":
        continue  # "shutdown" comes first
    assert await attacker.receive_nothing(timeout=0.2), "no stats, no lifecycle event after the revocation"
    for comm in (watcher, attacker):
        await comm.disconnect()


async def test_a_serial_input_flood_is_refused_within_a_bounded_memory(connect, owner, demo, capsys):
    comm = await open_serial(connect, owner, demo)
    await read_until(comm, b"# ")
    socket, = sessions.live_sockets(user=owner, kind="serial")
    rss_before = _rss_kib()
    errors = []
    # Real frames as Daphne passes them on (it refuses messages over 1 MiB): 300 of 1 MiB, then 300 of 64 KiB.
    for size in (1 << 20, MAX_INPUT_FRAME):
        frame = b"x" * size
        for _ in range(300):
            await comm.send_to(bytes_data=frame)
            while not await comm.receive_nothing(timeout=0.005, interval=0.001):
                output = await comm.receive_output()
                assert output["type"] != "websocket.close", "the console must stay open"
                if output.get("text"):
                    errors.append(output["text"])
            assert socket.stream.pending <= MAX_PENDING_INPUT
    rss_after = _rss_kib()
    with capsys.disabled():
        print(f"\nserial flood (300 x 1 MiB, 300 x 64 KiB): RSS {rss_before // 1024} MiB -> {rss_after // 1024} MiB")
    assert rss_after - rss_before < 32 * 1024, f"RSS grew {(rss_after - rss_before) // 1024} MiB"
    assert sum('"input_too_large"' in e for e in errors) == 300
    assert sum('"input_backlog"' in e for e in errors) >= 1

    # Once the guest has read what was queued, the console takes input again.
    deadline = time.monotonic() + 120
    while socket.stream.pending:
        assert time.monotonic() < deadline, "the guest never read the queued input"
        await asyncio.sleep(0.1)
    await comm.send_to(bytes_data=b"\x15\x03\recho ok-$((40+2))\r")
    await read_until(comm, b"ok-42", timeout=120)
    await comm.disconnect()


async def test_deactivating_a_user_ends_their_open_serial_console(connect, teammate, grant, demo):
    await database_sync_to_async(grant)("Console user", domain=demo)
    comm = await open_serial(connect, teammate, demo)
    started = time.monotonic()
    teammate.is_active = False
    await database_sync_to_async(teammate.save)()
    while True:
        message = await comm.receive_output(timeout=2)
        if message["type"] == "websocket.close":
            break
    assert message["code"] == 4001 and time.monotonic() - started < 1.0


async def test_the_demo_guests_vnc_server_listens_on_no_port_and_the_console_still_reaches_it(demo):
    xml = await asyncio.to_thread(lambda: libvirt_domain(demo).XMLDesc(0))
    graphics = etree.fromstring(xml.encode()).find("devices/graphics[@type='vnc']")
    assert graphics.get("port") in (None, "-1") and graphics.get("listen") is None
    assert [listen.get("type") for listen in graphics.findall("listen")] == ["none"]
