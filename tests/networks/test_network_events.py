"""Network lifecycle events: they reach the hub, keep Network rows in step (made, revived, gone), and reach the
events socket only of users who may see the network."""

import threading

import pytest
from channels.db import database_sync_to_async

from domains.access.grants import do_grant
from domains.libvirt import adapter
from domains.libvirt import events as libvirt_events
from domains.libvirt import networks as libvirt_networks
from domains.networks.actions import do_define_network, do_delete_network, do_network_action
from domains.networks.models import Network
from tests.conftest import wait_for


@pytest.fixture
def heard():
    seen = []

    def listen(event):
        if event.get("type") == "network.lifecycle":
            seen.append(event)

    libvirt_events.subscribe(listen)
    yield seen
    libvirt_events.unsubscribe(listen)


def kinds(seen, name):
    return [event["event"] for event in seen if event["name"] == name]


def test_each_change_of_a_network_arrives_with_its_state_and_undefine_marks_the_row_gone(
        transactional_db, owner, test_driver_host, heard):
    row, handle = do_define_network(owner, test_driver_host, fields={"name": "evented", "forward": "none"},
                                    start=True)
    # An event carries the network's state when it is read: stopping before "started" is read would rightly show
    # it inactive, so the stop waits for it.
    wait_for(lambda: ["defined", "started"] == kinds(heard, "evented"))
    do_network_action(owner, row, handle, "stop")

    wait_for(lambda: ["defined", "started", "stopped"] == kinds(heard, "evented"))
    started = next(event for event in heard if event["event"] == "started")
    assert (started["network"], started["active"], started["persistent"], started["gone"]) == (
        str(row.uuid), True, True, False)

    do_delete_network(owner, row, handle)
    wait_for(lambda: "undefined" in kinds(heard, "evented"))
    undefined = next(event for event in heard if event["event"] == "undefined")
    assert undefined["gone"] is True and "active" not in undefined
    wait_for(lambda: Network.objects.get(pk=row.pk).gone, timeout=60)


def test_a_network_defined_outside_the_console_gets_its_row_from_the_event(transactional_db, test_driver_host,
                                                                           heard):
    conn = adapter.connection_for(test_driver_host).get()

    conn.networkDefineXML("<network><name>outside</name></network>")

    wait_for(lambda: kinds(heard, "outside") == ["defined"])
    # Rows are written by the one event-order writer, behind whatever earlier events queued there.
    wait_for(lambda: Network.objects.filter(host=test_driver_host, name="outside", gone=False).exists(), timeout=60)


async def receive_type(communicator, kind):
    while True:
        message = await communicator.receive_json_from(timeout=10)
        if message.get("type") == kind:
            return message


async def test_the_events_socket_sends_network_events_only_to_users_who_may_see_the_network(
        connect, transactional_db, owner, teammate, test_driver_host):
    define = database_sync_to_async(do_define_network)
    act = database_sync_to_async(do_network_action)
    row, handle = await define(owner, test_driver_host, fields={"name": "watched", "forward": "none"})
    other, other_handle = await define(owner, test_driver_host, fields={"name": "hidden", "forward": "none"})
    await database_sync_to_async(do_grant)(owner, "Network user", to_user=teammate, network=row)
    communicator, connected, _ = await connect("/ws/v1/events", teammate)
    assert connected
    await communicator.send_json_to({"type": "subscribe", "domains": [], "hosts": [test_driver_host.pk]})
    subscribed = await receive_type(communicator, "subscribed")

    await act(owner, other, other_handle, "start")
    await act(owner, row, handle, "start")
    event = await receive_type(communicator, "network.lifecycle")
    await communicator.disconnect()

    # The network grant shows the host; the hidden network started first, yet the first event is the watched one's.
    assert subscribed["hosts"] == [test_driver_host.pk]
    assert (event["name"], event["event"], event["active"]) == ("watched", "started", True)


@pytest.mark.system
def test_a_network_on_the_system_libvirtd_is_heard_and_stays_until_a_running_undefine_stops(
        owner, system_host, network_name, heard):
    # No address of its own: only a bridge, so no subnet can clash with another test's.
    row, handle = do_define_network(owner, system_host, fields={"name": network_name, "forward": "none",
                                                                "bridge": f"vca{network_name[-8:]}"}, start=True)
    wait_for(lambda: {"defined", "started"} <= set(kinds(heard, network_name)), timeout=20)

    libvirt_networks.undefine_network(handle)  # libvirtd lets it run on, transient
    wait_for(lambda: "undefined" in kinds(heard, network_name), timeout=20)
    # Every open connection to the daemon hears each event: judge this network's events, however many copies.
    assert {event["gone"] for event in heard if event["event"] == "undefined" and event["name"] == network_name} \
        == {False}
    assert not Network.objects.get(pk=row.pk).gone
    libvirt_networks.stop_network(handle)

    wait_for(lambda: "stopped" in kinds(heard, network_name), timeout=20)
    assert {event["gone"] for event in heard if event["event"] == "stopped" and event["name"] == network_name} \
        == {True}
    wait_for(lambda: Network.objects.get(pk=row.pk).gone)


class WriterGate:
    """A task for the event writer that holds it (and every write queued behind it) until opened."""

    def __init__(self):
        self.reached, self.opened = threading.Event(), threading.Event()
        libvirt_events.write_in_event_order(self._hold)

    def _hold(self):
        self.reached.set()
        assert self.opened.wait(30), "the test never opened the gate"


def test_events_written_after_the_network_was_deleted_do_not_bring_its_row_back(transactional_db, owner,
                                                                               test_driver_host, heard):
    """The network's define, start and stop events are written only after the delete marked its row gone (and
    before the undefine's own event): judged when written, they find no network and leave the row gone."""
    gates = [WriterGate()]
    try:
        row, handle = do_define_network(owner, test_driver_host, fields={"name": "late", "forward": "none"},
                                        start=True)
        do_network_action(owner, row, handle, "stop")
        wait_for(lambda: kinds(heard, "late") == ["defined", "started", "stopped"])  # their writes queued
        gates.append(WriterGate())  # behind those three writes, before the undefine's
        do_delete_network(owner, row, handle)
        assert Network.objects.get(pk=row.pk).gone

        gates[0].opened.set()
        assert gates[1].reached.wait(30)  # the three late writes are done; the undefine's waits
        assert Network.objects.get(pk=row.pk).gone
    finally:
        for gate in gates:
            gate.opened.set()
    libvirt_events.wait_for_event_writes()
