"""Live stats cost what is watched: one call per host per tick over the watched domains, with the groups shown."""

import asyncio
import time

import libvirt
import pytest
from channels.db import database_sync_to_async

from console.events import stats_ticker
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain
from tests.conftest import drain_event_workers
from tests.lifecycle.libvirt_calls import LibvirtCallCounter

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]

STATE = libvirt.VIR_DOMAIN_STATS_STATE
CPU = libvirt.VIR_DOMAIN_STATS_CPU_TOTAL | libvirt.VIR_DOMAIN_STATS_VCPU


@pytest.fixture
def host_of_ten(make_test_host):
    host = make_test_host("stats", domains=10, running=(1, 2, 3))
    inventory.sync_host(host)
    drain_event_workers()  # the stop events of the fixture's domains look them up: not the ticker's calls
    return host


async def _uuids(host, *names):
    rows = await database_sync_to_async(lambda: {d.name: str(d.uuid) for d in Domain.objects.filter(host=host)})()
    return [rows[name] for name in names]


async def _watching(connect, user, host, uuids, stats=None):
    """An events socket subscribed as the dashboard does (all rows and the host), watching uuids."""
    comm, _, _ = await connect("/ws/v1/events", user)
    await comm.receive_json_from()  # hello
    every = await database_sync_to_async(lambda: [str(d.uuid) for d in Domain.objects.filter(host=host)])()
    await comm.send_json_to({"type": "subscribe", "domains": every, "hosts": [host.pk]})
    assert (await comm.receive_json_from())["type"] == "subscribed"
    await comm.receive_json_from()  # host.health
    message = {"type": "watch_stats", "domains": uuids}
    if stats is not None:
        message["stats"] = stats
    await comm.send_json_to(message)
    return comm


async def _next_stats(comm):
    while True:
        message = await comm.receive_json_from(timeout=10)
        if message["type"] == "domain.stats":
            return message


async def _until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"condition not met within {timeout} s"
        await asyncio.sleep(0.02)


async def test_a_socket_watching_two_of_ten_domains_gets_stats_of_those_two_only(connect, owner, host_of_ten):
    watched = await _uuids(host_of_ten, "vm0001", "vm0005")
    comm = await _watching(connect, owner, host_of_ten, watched)

    for _ in range(2):
        message = await _next_stats(comm)
        assert message["host"] == host_of_ten.pk
        assert sorted(item["uuid"] for item in message["domains"]) == sorted(watched)
    states = {item["uuid"]: item["state"] for item in message["domains"]}
    assert states == {watched[0]: "running", watched[1]: "shutoff"}
    await comm.disconnect()


async def test_the_ticker_asks_libvirt_only_for_the_watched_handles_and_the_groups_shown(
        connect, owner, host_of_ten, monkeypatch):
    counter = LibvirtCallCounter(monkeypatch)
    cpu_page = await _watching(connect, owner, host_of_ten, await _uuids(host_of_ten, "vm0001", "vm0002"), ["cpu"])
    await _next_stats(cpu_page)
    ticker = stats_ticker.ticker_for(host_of_ten.pk)
    await _until(lambda: ticker.samples >= 2)

    stats_calls = [call for call in counter.calls if "Stats" in call]
    assert set(stats_calls) == {"virConnect.domainListGetStats"}, "never every domain of the host"
    watched = set(await _uuids(host_of_ten, "vm0001", "vm0002"))
    assert all(asked == (watched, STATE | CPU) for asked in counter.stats_asked)
    # Handles are taken once (here from the host's listing), not looked up every tick.
    assert counter.calls.count("virConnect.lookupByUUID") <= 2
    assert len(stats_calls) == ticker.samples

    # A second page showing disk on another domain: still one call per tick, over the union.
    disk_page = await _watching(connect, owner, host_of_ten, await _uuids(host_of_ten, "vm0007"), ["disk"])
    await _next_stats(disk_page)
    await _until(lambda: len(counter.stats_asked) >= 2 and len(counter.stats_asked[-1][0]) == 3)
    both = watched | set(await _uuids(host_of_ten, "vm0007"))
    assert counter.stats_asked[-1] == (both, STATE | CPU | libvirt.VIR_DOMAIN_STATS_BLOCK)
    assert len([call for call in counter.calls if "Stats" in call]) == ticker.samples
    for comm in (cpu_page, disk_page):
        await comm.disconnect()


async def test_nothing_watched_asks_libvirt_nothing(connect, owner, host_of_ten, monkeypatch):
    counter = LibvirtCallCounter(monkeypatch)
    comm = await _watching(connect, owner, host_of_ten, await _uuids(host_of_ten, "vm0003"))
    await _next_stats(comm)
    await comm.send_json_to({"type": "watch_stats", "domains": []})

    await _until(lambda: stats_ticker.ticker_for(host_of_ten.pk) is None)
    asked = len(counter.stats_asked)
    idle = await _watching(connect, owner, host_of_ten, [])
    assert stats_ticker.ticker_for(host_of_ten.pk) is None, "an open page watching nothing starts no ticker"
    assert len(counter.stats_asked) == asked
    for each in (comm, idle):
        await each.disconnect()


async def test_figures_not_shown_come_as_null_and_unknown_figures_are_ignored(connect, owner, host_of_ten):
    comm = await _watching(connect, owner, host_of_ten, await _uuids(host_of_ten, "vm0002"), ["net", "bogus"])
    item, = (await _next_stats(comm))["domains"]
    assert (item["state"], item["cpu_percent"], item["memory_kib"], item["vcpus"]) == ("running", None, None, None)
    await comm.disconnect()
