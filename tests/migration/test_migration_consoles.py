"""A migrated guest's open serial console closes saying it moved, and a new one opens on the destination host."""

import asyncio
import time

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async

from domains.lifecycle.models import Domain
from domains.migration.actions import MigrationOptions, do_migrate
from tests.ws_support import ticket_url
from tests.libvirt_support import wait_for_job

pytestmark = [pytest.mark.system, pytest.mark.two_hosts, pytest.mark.django_db(transaction=True)]


async def open_serial(connect, user, domain):
    url, _ = await database_sync_to_async(ticket_url)(user, domain, "serial")
    comm, connected, _ = await connect(url, user)
    assert connected
    assert (await comm.receive_json_from())["type"] == "hello"
    opened = await comm.receive_json_from(timeout=10)
    assert opened["type"] == "console.opened", opened
    return comm


async def shell_answers(comm, word, timeout=60.0):
    """Type `echo <word>-$((1))` whenever the console is quiet until the guest's shell prints <word>-1 (the echoed
    command line itself does not count); returns what the console printed."""
    needle = f"{word}-1".encode()
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen:
        if time.monotonic() > deadline:
            raise AssertionError(f"{needle!r} not seen within {timeout} s; got {seen[-300:]!r}")
        if await comm.receive_nothing(timeout=0.1, interval=0.01):
            await comm.send_to(bytes_data=f"echo {word}-$((1))\r".encode())
            continue
        message = await comm.receive_output()
        assert message["type"] != "websocket.close", seen[-300:]
        seen += message.get("bytes") or b""
    return seen


async def test_an_open_console_closes_with_domain_moved_and_reopens_on_the_destination(connect, owner, pair):
    first_conn, _second_conn = pair["conns"]
    domain = await sync_to_async(pair["guest"])(shared=True)
    await asyncio.to_thread(lambda: first_conn.lookupByUUID(domain.uuid.bytes).create())
    comm = await open_serial(connect, owner, domain)
    # Booted first, as a user's guest would be. Moved while its kernel still poured boot messages into this open
    # console, the guest once printed nothing at all on the destination for 60 s, not even the typed echo (a full
    # run, 2026-12-03; not reproduced in 9 runs alone): its serial output stalled in QEMU, it seems, not in the relay.
    await shell_answers(comm, "ready")

    job = await sync_to_async(do_migrate)(owner, domain, pair["second"],
                                          MigrationOptions(unsafe=True, undefine_source=True))
    while True:
        message = await comm.receive_output(timeout=60)
        if message.get("text") and '"console.closed"' in message["text"]:
            assert '"domain_moved"' in message["text"], message
            break
    assert (await sync_to_async(wait_for_job)(job.pk)).state == "succeeded"

    moved = await database_sync_to_async(Domain.objects.get)(pk=domain.pk)
    again = await open_serial(connect, owner, moved)
    assert b"moved-1" in await shell_answers(again, "moved")
    await again.disconnect()
