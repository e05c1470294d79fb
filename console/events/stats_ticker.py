"""Live stats: one ticker per host for the whole cluster, over the domains some socket of some process watches.

Each process tells the cluster (bus "stats.watch") which domains of a host its
sockets watch and which figures they show, when that changes and again every
ANNOUNCE_SECONDS. The process that leads the host (domains.cluster) runs its
ticker: each tick makes ONE domainListGetStats call over the union of what is
watched in the cluster, with only the stats groups of the figures shown, and
none when nothing is watched (the ticker stops then); it broadcasts the
result (bus "stats"), and each process hands every socket the domains it
watches. Handles are taken once, from the host's last listing or by one
lookup, not every tick. The ticker runs on libvirt's event loop (the server's,
under Daphne).
"""

import asyncio
import logging
import threading
import time
import uuid as uuidlib

from domains.cluster import bus
from domains.cluster import events as cluster_events
from domains.hosts.models import Host
from domains.libvirt import adapter, events
from domains.libvirt.adapter import VirtError
from domains.lifecycle import inventory
from domains.lifecycle.stats import FIGURES, HostSampler, groups_for

log = logging.getLogger(__name__)

INTERVAL = 2.0
# Each process repeats what it watches this often; the leader forgets a process it has not heard for
# FORGET_SECONDS (it died), and a new leader knows every watch within ANNOUNCE_SECONDS.
ANNOUNCE_SECONDS = 5.0
FORGET_SECONDS = 3 * ANNOUNCE_SECONDS


class HostTicker:
    """The sampler of one host, in the process that leads it."""

    def __init__(self, host_id):
        self.host_id = host_id
        self.host = None
        self.sampler = None
        self.task = None
        self.samples = 0  # stats calls made, for tests and benchmarks
        self._conn = None  # the connection the handles belong to
        self._handles = {}  # uuid string -> virDomain, or None where libvirt had no such domain

    def _keep_going(self):
        # Under the lock, so a watch announced meanwhile either sees this ticker running or finds it gone
        # and starts a new one.
        with _lock:
            if _watched_in_cluster(self.host_id)[0] and cluster_events.leads_host(self.host_id):
                return True
            if _tickers.get(self.host_id) is self:
                del _tickers[self.host_id]
            return False

    def _handles_of(self, conn, uuids):
        """The handles of uuids on conn, looking up only those not seen yet (blocking)."""
        if conn is not self._conn:
            self._conn, self._handles = conn, {}
        # Forget what is no longer watched, so a domain watched again is looked up afresh.
        self._handles = {u: h for u, h in self._handles.items() if u in uuids}
        for each in uuids - set(self._handles):
            domain_uuid = uuidlib.UUID(each)
            handle = inventory.listed_handle(self.host_id, conn, domain_uuid)
            self._handles[each] = handle if handle is not None else adapter.find_domain(conn, uuid=domain_uuid)
        return [handle for handle in self._handles.values() if handle is not None]

    def sample(self, uuids, figures):
        """{uuid: stats} of the watched domains: one stats call on the host (blocking; no call for none)."""
        if self.host is None:
            self.host = Host.objects.filter(pk=self.host_id).first()
            if self.host is None:
                return {}
            self.sampler = HostSampler(self.host)
        conn = adapter.connection_for(self.host).get()
        handles = self._handles_of(conn, uuids)
        if not handles:
            return {}
        stats = self.sampler.sample(conn, handles, groups_for(figures))
        self.samples += 1
        return stats

    async def run(self):
        while self._keep_going():
            with _lock:
                uuids, figures = _watched_in_cluster(self.host_id)
            try:
                stats = await asyncio.to_thread(self.sample, uuids, figures)
            except VirtError as exc:
                log.info("live stats of host %s: %s", self.host_id, exc.message)
                stats = {}
            if stats:
                bus.broadcast("stats", {"host": self.host_id, "interval": INTERVAL, "domains": stats})
            await asyncio.sleep(INTERVAL)


_tickers = {}  # host id -> the HostTicker this process runs as the host's leader
_local = {}  # host id -> {socket: (set of uuid strings, set of figure names)}: this process's watchers
_cluster = {}  # host id -> {process: (uuids, figures, monotonic time heard)}: every process's, as announced
_announcer = None
_lock = threading.Lock()


def _watched_in_cluster(host_id):
    """(uuids, figures) that some socket of some process watches now (caller holds the lock)."""
    uuids, figures = set(), set()
    now = time.monotonic()
    for process, (process_uuids, process_figures, heard) in list(_cluster.get(host_id, {}).items()):
        if now - heard > FORGET_SECONDS:
            del _cluster[host_id][process]
            continue
        uuids |= process_uuids
        figures |= process_figures
    return uuids, figures


def watch(socket, host, uuids, figures=FIGURES):
    """socket shows figures of uuids (strings) on host; an empty set of uuids stops its watch of that host."""
    with _lock:
        watchers = _local.setdefault(host.pk, {})
        if uuids:
            watchers[socket] = (set(uuids), set(figures))
        else:
            watchers.pop(socket, None)
    if uuids:
        # This process stands for leading the host, so that a lone process samples what it watches.
        cluster_events.stand_for_host(host.pk, on_gain=lambda: _start_ticker(host.pk))
    _announce(host.pk)


def unwatch_all(socket):
    with _lock:
        hosts = [host_id for host_id, watchers in _local.items() if watchers.pop(socket, None) is not None]
    for host_id in hosts:
        _announce(host_id)


def ticker_for(host_id):
    return _tickers.get(host_id)


def _local_union(host_id):
    uuids, figures = set(), set()
    for socket_uuids, socket_figures in _local.get(host_id, {}).values():
        uuids |= socket_uuids
        figures |= socket_figures
    return uuids, figures


def _announce(host_id):
    with _lock:
        uuids, figures = _local_union(host_id)
    bus.broadcast("stats.watch", {"host": host_id, "uuids": sorted(uuids), "figures": sorted(figures)})
    if uuids:
        _start_announcer()


def _start_announcer():
    global _announcer
    with _lock:
        if _announcer is not None:
            return
        loop = events.ensure_event_loop()
        _announcer = asyncio.run_coroutine_threadsafe(_announce_forever(), loop)


async def _announce_forever():
    """Repeat this process's watches: a leader that took a host over learns them, and a dead process's expire."""
    global _announcer
    while True:
        await asyncio.sleep(ANNOUNCE_SECONDS)
        with _lock:
            hosts = [host_id for host_id, watchers in _local.items() if watchers]
            if not hosts:
                _announcer = None
                return
        for host_id in hosts:
            _announce(host_id)


def on_watch(payload, origin):
    """Bus listener: a process's watches of a host; the host's leader starts its ticker when there are any."""
    host_id = payload["host"]
    with _lock:
        processes = _cluster.setdefault(host_id, {})
        if payload["uuids"]:
            processes[origin] = (set(payload["uuids"]), set(payload["figures"]), time.monotonic())
        else:
            processes.pop(origin, None)
    if payload["uuids"] and cluster_events.leads_host(host_id):
        _start_ticker(host_id)


def _start_ticker(host_id):
    with _lock:
        if not _watched_in_cluster(host_id)[0]:
            return
        ticker = _tickers.get(host_id)
        if ticker is None:
            ticker = _tickers[host_id] = HostTicker(host_id)
        if ticker.task is None or ticker.task.done():
            loop = events.ensure_event_loop()
            ticker.task = asyncio.run_coroutine_threadsafe(ticker.run(), loop)


def on_stats(payload, _origin):
    """Bus listener: a tick's stats of a host; each socket of this process gets the domains it watches."""
    stats = payload["domains"]
    with _lock:
        watchers = [(socket, uuids) for socket, (uuids, _figures) in _local.get(payload["host"], {}).items()]
    for socket, uuids in watchers:
        items = [stats[u] for u in uuids if u in stats]
        if items:
            socket.deliver_stats(payload["host"], payload["interval"], items)


def install():
    """Called once from ConsoleConfig.ready."""
    bus.on("stats.watch", on_watch)
    bus.on("stats", on_stats)
