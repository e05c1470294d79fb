"""One live-stats ticker per host in this process, shared by every socket that watches its domains.

Each tick makes ONE domainListGetStats call for the host, however many
sockets watch: over the handles of the domains some socket watches, with only
the stats groups of the figures they show, and none when nothing is watched
(the ticker stops when its last watcher leaves). Handles are taken once, from
the host's last listing or by one lookup, not every tick. The ticker runs on
libvirt's event loop (the server's, under Daphne).
"""

import asyncio
import logging
import threading
import uuid as uuidlib

from domains.libvirt import adapter, events
from domains.libvirt.adapter import VirtError
from domains.lifecycle import inventory
from domains.lifecycle.stats import FIGURES, HostSampler, groups_for

log = logging.getLogger(__name__)

INTERVAL = 2.0


class HostTicker:
    def __init__(self, host):
        self.host = host
        self.sampler = HostSampler(host)
        self.watchers = {}  # socket -> (set of uuid strings, set of figure names)
        self.task = None
        self.samples = 0  # stats calls made, for tests and benchmarks
        self._conn = None  # the connection the handles belong to
        self._handles = {}  # uuid string -> virDomain, or None where libvirt had no such domain

    def _keep_going(self):
        # Under the lock, so a watcher added meanwhile either sees this ticker
        # running or finds it gone and starts a new one.
        with _lock:
            if self.watchers:
                return True
            if _tickers.get(self.host.pk) is self:
                del _tickers[self.host.pk]
            return False

    def _watched(self):
        """(uuids, figures) that some socket watches now: the union over the watchers."""
        with _lock:
            uuids, figures = set(), set()
            for socket_uuids, socket_figures in self.watchers.values():
                uuids |= socket_uuids
                figures |= socket_figures
            return uuids, figures

    def _handles_of(self, conn, uuids):
        """The handles of uuids on conn, looking up only those not seen yet (blocking)."""
        if conn is not self._conn:
            self._conn, self._handles = conn, {}
        # Forget what is no longer watched, so a domain watched again is looked up afresh.
        self._handles = {u: h for u, h in self._handles.items() if u in uuids}
        for each in uuids - set(self._handles):
            domain_uuid = uuidlib.UUID(each)
            handle = inventory.listed_handle(self.host.pk, conn, domain_uuid)
            self._handles[each] = handle if handle is not None else adapter.find_domain(conn, uuid=domain_uuid)
        return [handle for handle in self._handles.values() if handle is not None]

    def sample(self, uuids, figures):
        """{uuid: stats} of the watched domains: one stats call on the host (blocking; no call for none)."""
        conn = adapter.connection_for(self.host).get()
        handles = self._handles_of(conn, uuids)
        if not handles:
            return {}
        stats = self.sampler.sample(conn, handles, groups_for(figures))
        self.samples += 1
        return stats

    async def run(self):
        while self._keep_going():
            try:
                stats = await asyncio.to_thread(self.sample, *self._watched())
            except VirtError as exc:
                log.info("live stats of %s: %s", self.host, exc.message)
                stats = {}
            with _lock:
                watchers = [(socket, uuids) for socket, (uuids, _figures) in self.watchers.items()]
            for socket, uuids in watchers:
                items = [stats[u] for u in uuids if u in stats]
                if items:
                    socket.deliver_stats(self.host.pk, INTERVAL, items)
            await asyncio.sleep(INTERVAL)


_tickers = {}
_lock = threading.Lock()


def watch(socket, host, uuids, figures=FIGURES):
    """socket shows figures of uuids (strings) on host; an empty set of uuids stops its watch of that host."""
    with _lock:
        ticker = _tickers.get(host.pk)
        if not uuids:
            if ticker is not None:
                ticker.watchers.pop(socket, None)
            return
        if ticker is None:
            ticker = _tickers[host.pk] = HostTicker(host)
        ticker.watchers[socket] = (set(uuids), set(figures))
        if ticker.task is None or ticker.task.done():
            loop = events.ensure_event_loop()
            ticker.task = asyncio.run_coroutine_threadsafe(ticker.run(), loop)


def unwatch_all(socket):
    with _lock:
        for ticker in _tickers.values():
            ticker.watchers.pop(socket, None)


def ticker_for(host_id):
    return _tickers.get(host_id)
