"""Revoking a grant closes that user's open console on the affected domain within a second (real demo guest)."""

import time

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async

from domains.access.grants import do_revoke
from tests.consoles.test_demo_guest_sessions import open_serial

pytestmark = [pytest.mark.embedded, pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


async def test_revoking_a_grant_closes_the_users_open_serial_console_within_a_second(
        connect, owner, teammate, grant, demo):
    console_user = await database_sync_to_async(grant)("Console user", domain=demo)
    comm = await open_serial(connect, teammate, demo)
    started = time.monotonic()
    await sync_to_async(do_revoke)(owner, console_user)
    while True:
        left = 1.0 - (time.monotonic() - started)
        assert left > 0, ("the console stayed open a second after its grant was revoked: the live sessions "
                          "must subscribe with domains.access.permissions.on_revoke(...)")
        if await comm.receive_nothing(timeout=min(0.05, left), interval=0.01):
            continue
        message = await comm.receive_output()
        if message["type"] == "websocket.close":
            break
    assert time.monotonic() - started < 1.0
