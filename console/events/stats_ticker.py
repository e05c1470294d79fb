"""One live-stats ticker per host in this process, shared by every socket that watches its domains.

Each tick makes ONE bulk getAllDomainStats call for the host, however many
sockets watch, and hands each socket the domains it has on screen. The
ticker runs on libvirt's event loop (the server's, under Daphne) and stops
when its last watcher leaves.
"""

import asyncio
import logging
import threading

from domains.libvirt import events
from domains.libvirt.adapter import VirtError
from domains.lifecycle.stats import HostSampler

log = logging.getLogger(__name__)

INTERVAL = 2.0


class HostTicker:
    def __init__(self, host):
        self.host = host
        self.sampler = HostSampler(host)
        self.watchers = {}  # socket -> set of uuid strings
        self.task = None
        self.samples = 0  # bulk calls made, for tests and benchmarks

    def _keep_going(self):
        # Under the lock, so a watcher added meanwhile either sees this ticker
        # running or finds it gone and starts a new one.
        with _lock:
            if self.watchers:
                return True
            if _tickers.get(self.host.pk) is self:
                del _tickers[self.host.pk]
            return False

    async def run(self):
        while self._keep_going():
            try:
                stats = await asyncio.to_thread(self.sampler.sample)
                self.samples += 1
            except VirtError as exc:
                log.info("live stats of %s: %s", self.host, exc.message)
                stats = {}
            for socket, uuids in list(self.watchers.items()):
                items = [stats[u] for u in uuids if u in stats]
                if items:
                    socket.deliver_stats(self.host.pk, INTERVAL, items)
            await asyncio.sleep(INTERVAL)


_tickers = {}
_lock = threading.Lock()


def watch(socket, host, uuids):
    """socket wants stats of uuids (strings) on host; an empty set stops its watch of that host."""
    with _lock:
        ticker = _tickers.get(host.pk)
        if not uuids:
            if ticker is not None:
                ticker.watchers.pop(socket, None)
            return
        if ticker is None:
            ticker = _tickers[host.pk] = HostTicker(host)
        ticker.watchers[socket] = set(uuids)
        if ticker.task is None or ticker.task.done():
            loop = events.ensure_event_loop()
            ticker.task = asyncio.run_coroutine_threadsafe(ticker.run(), loop)


def unwatch_all(socket):
    with _lock:
        for ticker in _tickers.values():
            ticker.watchers.pop(socket, None)


def ticker_for(host_id):
    return _tickers.get(host_id)
