"""Event storms: a burst of lifecycle events reaches an open dashboard whole, and costs the same per event at any size."""


import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async

from domains.libvirt import adapter
from domains.lifecycle import inventory
from tests.conftest import drain_event_workers

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]

XML = ("<domain type='test'><name>{}</name><memory>65536</memory><vcpu>1</vcpu>"
       "<os><type>hvm</type></os></domain>")
STORM = 400  # four times the channel layer's default capacity, which used to drop the rest


async def _host_socket(connect, user, host):
    comm, _, _ = await connect("/ws/v1/events", user)
    await comm.receive_json_from()  # hello
    await comm.send_json_to({"type": "subscribe", "hosts": [host.pk]})
    assert (await comm.receive_json_from())["hosts"] == [host.pk]
    await comm.receive_json_from()  # host.health
    return comm


async def _lifecycle(comm, count, word):
    names = []
    while len(names) < count:
        try:
            message = await comm.receive_json_from(timeout=20)
        except TimeoutError:
            raise AssertionError(f"{len(names)} of {count} '{word}' events arrived, then none for 20 s") from None
        if message["type"] == "domain.lifecycle" and message["event"] == word:
            names.append(message["name"])
    return names


def _define(host, count):
    conn = adapter.connection_for(host).get()
    return [conn.defineXML(XML.format(f"storm-{index:04d}")) for index in range(count)]


async def test_a_burst_of_defines_and_undefines_reaches_an_open_dashboard_whole(connect, owner, make_test_host):
    host = await sync_to_async(make_test_host)("storm", domains=3)
    await sync_to_async(inventory.sync_host)(host)
    comm = await _host_socket(connect, owner, host)

    handles = await sync_to_async(_define)(host, STORM)
    assert sorted(await _lifecycle(comm, STORM, "defined")) == [f"storm-{i:04d}" for i in range(STORM)]
    await sync_to_async(lambda: [handle.undefine() for handle in handles])()
    assert len(set(await _lifecycle(comm, STORM, "undefined"))) == STORM
    await sync_to_async(drain_event_workers)(60)
    await comm.disconnect()


async def test_a_teammate_with_one_domain_hears_of_that_domain_only_in_a_storm(
        connect, owner, teammate, grant, make_test_host):
    host = await sync_to_async(make_test_host)("storm", domains=3)
    await sync_to_async(inventory.sync_host)(host)
    from domains.lifecycle.models import Domain
    theirs = await database_sync_to_async(Domain.objects.get)(host=host, name="vm0001")
    await database_sync_to_async(grant)("Viewer", to=teammate, domain=theirs)
    comm = await _host_socket(connect, teammate, host)

    handles = await sync_to_async(_define)(host, 50)
    conn = adapter.connection_for(host).get()
    await sync_to_async(lambda: conn.lookupByName("vm0001").create())()
    message = await comm.receive_json_from(timeout=20)
    assert (message["type"], message["name"], message["event"]) == ("domain.lifecycle", "vm0001", "started")
    await sync_to_async(lambda: [handle.undefine() for handle in handles])()
    await sync_to_async(drain_event_workers)(60)
    assert await comm.receive_nothing(timeout=0.5)
    await comm.disconnect()
