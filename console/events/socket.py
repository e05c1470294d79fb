"""The events socket: pushed libvirt events of the domains and hosts a page shows, their live stats, and visible jobs."""

import time
import uuid as uuidlib

from channels.db import database_sync_to_async

from console.events import stats_ticker
from console.sockets import fanout
from console.sockets.base import LiveSocket
from domains.access import permissions
from domains.hosts.models import Host
from domains.jobs import visibility as job_visibility
from domains.jobs.models import Job
from domains.libvirt import adapter
from domains.lifecycle.models import Domain
from domains.lifecycle.stats import FIGURES
from domains.networks.models import Network
from domains.storage.models import Pool

MAX_SUBSCRIPTIONS = 2000
# A job pushes progress a few times a second: whether this socket may see it is asked again at most this often.
JOB_VISIBILITY_SECONDS = 5.0


def _uuids(values):
    result = []
    for value in values if isinstance(values, list) else []:
        try:
            result.append(str(uuidlib.UUID(str(value))))
        except ValueError:
            continue
    return result


def _figures(values):
    """The figures a page shows (watch_stats' "stats"): all of them when it does not say."""
    if not isinstance(values, list):
        return set(FIGURES)
    return {value for value in values if value in FIGURES}


def _host_ids(values):
    return [int(v) for v in (values if isinstance(values, list) else []) if str(v).isdigit()]


@database_sync_to_async
def _visible(user, uuids, host_ids):
    """The (host id, uuid) of the visible domains among uuids, the visible hosts among host_ids, and the ids of
    those hosts whose every domain user may see (getattr held host-wide)."""
    domains = permissions.restrict(Domain.objects.filter(uuid__in=uuids, gone=False), user)
    hosts = {h.pk: h for h in permissions.restrict(Host.objects.filter(pk__in=host_ids), user)}
    held = permissions.held_by(user)
    every_domain = {pk for pk in hosts if _sees_every_domain(held, pk)}
    return {str(d.uuid): d.host_id for d in domains}, hosts, every_domain


@database_sync_to_async
def _may_see(user, host_id, uuid):
    domain = Domain.objects.filter(host_id=host_id, uuid=uuid).select_related("host").first()
    if domain is None:
        # A domain just defined may not have its row yet: only getattr held host-wide shows it (seeing the
        # host through one of its domains must not show the names of the others).
        if not Host.objects.filter(pk=host_id).exists():
            return None
        return _sees_every_domain(permissions.held_by(user), host_id)
    return permissions.has_perm(user, "getattr", domain)


def _sees_every_domain(held, host_id):
    return held.everything or "getattr" in held.on_host(host_id)


@database_sync_to_async
def _may_see_pool(user, host_id, pool_uuid):
    row = Pool.objects.filter(host_id=host_id, uuid=pool_uuid).first()
    if row is None:
        # A pool just defined may have no row yet: only host-wide storage_pool.getattr shows it.
        host = Host.objects.filter(pk=host_id).first()
        return host is not None and permissions.has_perm(user, "storage_pool.getattr", host)
    return permissions.has_perm(user, "storage_pool.getattr", row)


@database_sync_to_async
def _may_see_network(user, host_id, network_uuid):
    row = Network.objects.filter(host_id=host_id, uuid=network_uuid).first()
    if row is None:
        # A network just defined may have no row yet: only host-wide network.getattr shows it.
        host = Host.objects.filter(pk=host_id).first()
        return host is not None and permissions.has_perm(user, "network.getattr", host)
    return permissions.has_perm(user, "network.getattr", row)


@database_sync_to_async
def _may_see_job(user, job_id):
    return job_visibility.may_see(user, Job(pk=job_id))


@database_sync_to_async
def _hosts(host_ids):
    return {h.pk: h for h in Host.objects.filter(pk__in=host_ids)}


class EventsSocket(LiveSocket):
    socket_kind = "events"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.domains = {}  # uuid -> host id
        self.hosts = set()
        self.allowed = {}  # (host id, uuid) -> may see
        self.watched = {}  # host id -> set of uuids
        self.figures = set(FIGURES)  # what the page shows of them
        self.jobs_seen = {}  # job id -> (may see, when asked)
        # Subscribed hosts whose every domain the user may see: their domains' events need no query each,
        # which in a storm of new domains kept the socket behind its channel's capacity.
        self.sees_every_domain = set()

    async def connect(self):
        await self.open_socket()

    async def greet(self):
        # Jobs are followed before hello: pages read what they show once hello arrived (static/js/events/socket.js),
        # so a job that ends meanwhile is either in what they read or in a message after it.
        self.join(fanout.JOBS)
        await super().greet()

    async def receive(self, text_data=None, bytes_data=None):
        message = await self.read_json(text_data)
        if message is None:
            return
        kind = message.get("type")
        if kind == "subscribe":
            await self.subscribe(_uuids(message.get("domains")), _host_ids(message.get("hosts")))
        elif kind == "unsubscribe":
            await self.unsubscribe(_uuids(message.get("domains")), _host_ids(message.get("hosts")))
        elif kind == "watch_stats":
            await self.watch_stats(_uuids(message.get("domains")), _figures(message.get("stats")))
        else:
            await self.send_json({"type": "error", "code": "unknown_message",
                                  "message": f"Unknown message type {kind!r}: see docs/websocket-protocol.md."})

    async def subscribe(self, uuids, host_ids):
        if len(self.domains) + len(uuids) > MAX_SUBSCRIPTIONS:
            await self.send_json({"type": "error", "code": "too_many",
                                  "message": f"At most {MAX_SUBSCRIPTIONS} domains per socket."})
            return
        domains, hosts, every_domain = await _visible(self.user, uuids, host_ids)
        self.sees_every_domain |= every_domain
        for uuid, host_id in domains.items():
            self.domains[uuid] = host_id
            self.allowed[(host_id, uuid)] = True
        self.hosts.update(hosts)
        await self._regroup()
        refused = [u for u in uuids if u not in domains] + [h for h in host_ids if h not in hosts]
        await self._send_subscribed(refused)
        # The page learns each host's state now, not only at its next change.
        for host in hosts.values():
            health = adapter.health_of(host)
            await self.send_json({"type": "host.health", "host": host.pk, "state": health.state,
                                  "message": health.message})

    async def unsubscribe(self, uuids, host_ids):
        for uuid in uuids:
            self.domains.pop(uuid, None)
        self.hosts.difference_update(host_ids)
        self.sees_every_domain.difference_update(host_ids)
        await self._regroup()
        await self.watch_stats([u for uuids_ in self.watched.values() for u in uuids_ if u in self.domains])
        await self._send_subscribed([])

    def _wanted_topics(self):
        """A host's topic carries all its domains' events: a domain's topic only where its host is not followed."""
        wanted = {fanout.JOBS} | {fanout.host_topic(h) for h in self.hosts}
        wanted |= {fanout.domain_topic(h, u) for u, h in self.domains.items() if h not in self.hosts}
        return wanted

    async def _regroup(self):
        wanted = self._wanted_topics()
        for topic in self._topics - wanted:
            self.leave(topic)
        for topic in wanted - self._topics:
            self.join(topic)

    async def _send_subscribed(self, refused):
        await self.send_json({"type": "subscribed", "domains": sorted(self.domains), "hosts": sorted(self.hosts),
                              "refused": refused})

    async def watch_stats(self, uuids, figures=None):
        """Watch only subscribed domains: the subscription already checked they may be seen."""
        if figures is not None:
            self.figures = figures
        by_host = {}
        for uuid in uuids:
            if uuid in self.domains:
                by_host.setdefault(self.domains[uuid], set()).add(uuid)
        hosts = await _hosts(list(set(by_host) | set(self.watched)))
        for host_id in set(self.watched) | set(by_host):
            if host_id in hosts:
                stats_ticker.watch(self, hosts[host_id], by_host.get(host_id, set()), self.figures)
        self.watched = by_host

    def deliver_stats(self, host_id, interval, items):
        """Called by the host's ticker on libvirt's loop: hand the stats to this socket's loop."""
        if not self.ended and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(lambda: self.loop.create_task(self._send_stats(host_id, interval, items)))

    async def _send_stats(self, host_id, interval, items):
        # Sampled before a revocation trimmed the subscription, delivered after: send only what is still in it.
        items = [item for item in items if item.get("uuid") in self.domains]
        if items and not self.ended:
            await self.send_json({"type": "domain.stats", "host": host_id, "interval": interval, "domains": items})

    async def relay_event(self, message):
        # message["text"]: the event as JSON, made once for every socket of the process (console.events.relay).
        event = message["event"]
        uuid = event.get("uuid")
        if event.get("pool") is not None:
            # Pool events come through the host's group: only users who may see the pool get them.
            if await _may_see_pool(self.user, event.get("host"), event["pool"]):
                await self.send(text_data=message["text"])
            return
        if event.get("network") is not None:
            # Network events too: only users who may see the network (network.getattr) get them.
            if await _may_see_network(self.user, event.get("host"), event["network"]):
                await self.send(text_data=message["text"])
            return
        if uuid is None:
            await self.send(text_data=message["text"])  # host.health: the host was followed after a visibility check
            return
        key = (event.get("host"), uuid)
        allowed = self.allowed.get(key)
        if allowed is None and key[0] in self.sees_every_domain:
            allowed = True
        if allowed is None:
            allowed = await _may_see(self.user, *key)
            if allowed is not None:
                self.allowed[key] = allowed
        if allowed:
            await self.send(text_data=message["text"])

    async def job_event(self, message):
        """A job changed (console.jobs.events): shown if it is the user's own or one they may see."""
        if self.ended:
            return
        job = message["message"]["job"]
        if not (self.user.is_superuser or message.get("owner") == self.user.pk):
            seen, when = self.jobs_seen.get(job["id"], (None, 0.0))
            if seen is None or time.monotonic() - when > JOB_VISIBILITY_SECONDS:
                seen = await _may_see_job(self.user, job["id"])
                self.jobs_seen[job["id"]] = (seen, time.monotonic())
            if not seen:
                return
        await self.send_json(message["message"])

    def concerns(self, domain):
        # Subscribed to the domain, or to its host (whose group carries every domain's events).
        return str(domain.uuid) in self.domains or domain.host_id in self.hosts

    async def still_allowed(self):
        # Forget what was allowed: each next event is checked again; domains no longer visible leave.
        self.allowed.clear()
        self.jobs_seen.clear()
        domains, hosts, every_domain = await _visible(self.user, list(self.domains), list(self.hosts))
        self.sees_every_domain = every_domain
        await self.unsubscribe([u for u in self.domains if u not in domains],
                               [h for h in self.hosts if h not in hosts])
        return True

    async def release(self):
        stats_ticker.unwatch_all(self)
