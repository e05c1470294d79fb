"""Pool events: lifecycle and refresh events reach the hub with the pool's numbers, and undefine marks the row gone."""

import pytest
from channels.db import database_sync_to_async

from domains.access.grants import do_grant
from domains.libvirt import events as libvirt_events
from domains.storage.models import Pool
from domains.storage.pools.actions import do_define_pool, do_delete_pool, do_pool_action
from tests.conftest import wait_for


@pytest.fixture
def heard():
    seen = []

    def listen(event):
        if event.get("type") == "pool.lifecycle":
            seen.append(event)

    libvirt_events.subscribe(listen)
    yield seen
    libvirt_events.unsubscribe(listen)


def kinds(seen, name):
    return [event["event"] for event in seen if event["name"] == name]


def test_lifecycle_and_refresh_events_arrive_with_the_pools_numbers(transactional_db, owner, test_driver_host,
                                                                    tmp_path, heard):
    row, handle = do_define_pool(owner, test_driver_host, fields={"name": "evented", "type": "dir",
                                                                  "target": str(tmp_path / "e")}, start=True)
    do_pool_action(owner, row, handle, "refresh")

    wait_for(lambda: {"defined", "started", "refreshed"} <= set(kinds(heard, "evented")))
    # test:///default is shared by the whole process: other tests' pools send events too, so pick ours by name.
    refreshed = next(event for event in heard if (event["name"], event["event"]) == ("evented", "refreshed"))
    assert refreshed["state"] == "running" and refreshed["capacity"] > 0 and refreshed["pool"] == str(row.uuid)

    do_delete_pool(owner, row, handle)
    wait_for(lambda: "undefined" in kinds(heard, "evented"))
    wait_for(lambda: Pool.objects.get(pk=row.pk).gone)


async def receive_type(communicator, kind):
    while True:
        message = await communicator.receive_json_from(timeout=10)
        if message.get("type") == kind:
            return message


async def test_the_events_socket_sends_pool_events_only_to_users_who_may_see_the_pool(
        connect, transactional_db, owner, teammate, test_driver_host, tmp_path):
    define = database_sync_to_async(do_define_pool)
    act = database_sync_to_async(do_pool_action)
    row, handle = await define(owner, test_driver_host, fields={"name": "watched", "type": "dir",
                                                                "target": str(tmp_path / "w")})
    other, other_handle = await define(owner, test_driver_host, fields={"name": "hidden", "type": "dir",
                                                                        "target": str(tmp_path / "h")})
    await database_sync_to_async(do_grant)(owner, "Pool viewer", to_user=teammate, pool=row)
    communicator, connected, _ = await connect("/ws/v1/events", teammate)
    assert connected
    await communicator.send_json_to({"type": "subscribe", "domains": [], "hosts": [test_driver_host.pk]})
    await receive_type(communicator, "subscribed")

    await act(owner, other, other_handle, "start")
    await act(owner, row, handle, "start")
    event = await receive_type(communicator, "pool.lifecycle")
    await communicator.disconnect()

    # The hidden pool started first; the first pool event the teammate gets is the watched pool's.
    assert (event["name"], event["event"]) == ("watched", "started")
