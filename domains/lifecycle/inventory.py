"""What domains each host has right now, read in one bulk call, and Domain rows kept in step with it."""

import logging
import time
import uuid as uuidlib
from dataclasses import dataclass

import libvirt
from django.db import transaction
from django.utils import timezone

from domains.hosts.models import Host
from domains.libvirt import adapter, events
from domains.libvirt.adapter import VirtError, translated_errors
from domains.lifecycle import states
from domains.lifecycle.models import Domain

log = logging.getLogger(__name__)

BULK_STATS = (
    libvirt.VIR_DOMAIN_STATS_STATE
    | libvirt.VIR_DOMAIN_STATS_CPU_TOTAL
    | libvirt.VIR_DOMAIN_STATS_BALLOON
    | libvirt.VIR_DOMAIN_STATS_VCPU
)


@dataclass
class LiveDomain:
    uuid: uuidlib.UUID
    name: str
    state: str
    reason: str
    vcpus: int | None
    max_vcpus: int | None
    memory_kib: int | None
    max_memory_kib: int | None
    cpu_time_ns: int | None
    cpu_percent: float | None = None

    @property
    def active(self):
        return self.state in states.ACTIVE_STATES


# Previous CPU time samples, to turn cumulative CPU time into a percentage.
_cpu_samples = {}


def _cpu_percent(key, cpu_time_ns, vcpus):
    now = time.monotonic()
    previous = _cpu_samples.get(key)
    _cpu_samples[key] = (now, cpu_time_ns)
    if previous is None or cpu_time_ns is None or not vcpus:
        return None
    elapsed = now - previous[0]
    if elapsed <= 0 or cpu_time_ns < previous[1]:
        return None
    return round(100.0 * (cpu_time_ns - previous[1]) / (elapsed * 1e9) / vcpus, 1)


def live_from_stats(host, dom, stats):
    """A LiveDomain from one record of a bulk stats call (BULK_STATS groups)."""
    state = states.state_name(stats.get("state.state", libvirt.VIR_DOMAIN_NOSTATE))
    domain_uuid = uuidlib.UUID(bytes=dom.UUID())
    vcpus = stats.get("vcpu.current")
    live = LiveDomain(
        uuid=domain_uuid,
        name=dom.name(),
        state=state,
        reason=states.reason_name(state, stats.get("state.reason", 0)),
        vcpus=vcpus,
        max_vcpus=stats.get("vcpu.maximum"),
        memory_kib=stats.get("balloon.current"),
        max_memory_kib=stats.get("balloon.maximum"),
        cpu_time_ns=stats.get("cpu.time"),
    )
    if live.active:
        live.cpu_percent = _cpu_percent((host.pk, domain_uuid), live.cpu_time_ns, vcpus)
    return live


def live_domains(host):
    """Every domain of a host with its state and sizes: one getAllDomainStats call."""
    conn = adapter.connection_for(host).get()
    changes_before = _changes.get(host.pk, 0)
    with translated_errors():
        records = conn.getAllDomainStats(BULK_STATS, 0)
    _remember(host, conn, [dom for dom, _stats in records], changes_before)
    return [live_from_stats(host, dom, stats) for dom, stats in records]


def sync_rows(host, live):
    """Make the host's Domain rows match libvirt's list, in a constant number of queries."""
    fields = ["pk", "uuid", "name", "gone"]
    existing = {row["uuid"]: row for row in Domain.objects.filter(host=host).values(*fields, "running_since")}
    now = timezone.now()
    seen = set()
    to_create, to_update, started, stopped = [], [], [], []
    for item in live:
        seen.add(item.uuid)
        row = existing.pop(item.uuid, None)
        if is_moving(host.pk, item.uuid):
            continue
        if row is None:
            to_create.append(Domain(host=host, uuid=item.uuid, name=item.name,
                                    running_since=now if item.active else None))
            continue
        if item.active != (row.pop("running_since") is not None):
            (started if item.active else stopped).append(row["pk"])
        wanted = {**row, "name": item.name, "gone": False}
        if wanted != row:
            to_update.append(Domain(**wanted, changed=now))
    gone = [row["pk"] for row in existing.values() if not row["gone"] and not is_moving(host.pk, row["uuid"])]
    if to_create or to_update or gone or started or stopped:
        with transaction.atomic():
            if to_create:
                Domain.objects.bulk_create(to_create, ignore_conflicts=True)
            if to_update:
                Domain.objects.bulk_update(to_update, ["name", "gone", "changed"])
            # Started or stopped while no event reached us: the start time is a bound only. Conditional on the
            # row still saying otherwise, since the STARTED event's exact time may have been written since we
            # read it (_record_start, on another thread), and a bound must not replace it.
            if started:
                Domain.objects.filter(pk__in=started, running_since__isnull=True).update(
                    running_since=now, running_since_exact=False, changed=now)
            if stopped:
                Domain.objects.filter(pk__in=stopped, running_since__isnull=False).update(
                    running_since=None, running_since_exact=False, changed=now)
            if gone:
                Domain.objects.filter(pk__in=gone).update(gone=True, running_since=None, changed=now)


def sync_host(host):
    """Read a host's domains from libvirt and bring its rows in step; returns the live list."""
    live = live_domains(host)
    sync_rows(host, live)
    return live


@dataclass
class ListedDomain:
    uuid: uuidlib.UUID
    name: str
    active: bool


@dataclass
class Listing:
    """A host's domains as last listed: their handles (for bulk stats on a few) and what says it still holds."""

    conn: object
    handles: dict  # UUID -> virDomain
    counts: tuple  # (active, inactive), as adapter.domain_counts answers
    changes: int  # _changes of the host when it was listed


# host id -> Listing, and host id -> count of define/undefine events seen: a listing holds while its
# connection is the open one, no such event came since and libvirt's counts are the same (starts, stops,
# defines and undefines made a moment ago whose events are still on their way).
_listings = {}
_changes = {}


def _remember(host, conn, doms, changes_before):
    active = sum(1 for dom in doms if dom.ID() != -1)
    handles = {uuidlib.UUID(bytes=dom.UUID()): dom for dom in doms}
    _listings[host.pk] = Listing(conn, handles, (active, len(doms) - active), changes_before)


def current_listing(host):
    """The host's Listing, its Domain rows in step with it: listed again (no stats) only if it may be stale.

    Costs two small calls when nothing changed, so a page of the list need not read every domain.
    """
    conn = adapter.connection_for(host).get()
    known = _listings.get(host.pk)
    if (known is not None and known.conn is conn and known.changes == _changes.get(host.pk, 0)
            and known.counts == adapter.domain_counts(conn)):
        return known
    changes_before = _changes.get(host.pk, 0)
    doms = adapter.list_domains(conn)
    _remember(host, conn, doms, changes_before)
    sync_rows(host, [ListedDomain(uuidlib.UUID(bytes=dom.UUID()), dom.name(), dom.ID() != -1) for dom in doms])
    return _listings[host.pk]


def listed_handle(host_id, conn, domain_uuid):
    """The virDomain of domain_uuid from the host's last listing on conn, or None: no libvirt call."""
    known = _listings.get(host_id)
    if known is None or known.conn is not conn:
        return None
    return known.handles.get(domain_uuid)


def forget_listing(host_id):
    """Make the next current_listing list the host again (a domain it holds was not found)."""
    _listings.pop(host_id, None)


# Domains being migrated: uuid -> (source host id, destination host id). While one moves, its events on either
# host are no verdict (the source says it stopped or went, the destination that it appeared): the migration moves
# its row itself when it is over (domains/migration/moves.py).
_moving = {}


def begin_move(domain_uuid, source_id, destination_id):
    _moving[domain_uuid] = (source_id, destination_id)


def end_move(domain_uuid):
    _moving.pop(domain_uuid, None)


def is_moving(host_id, domain_uuid):
    return host_id in _moving.get(domain_uuid, ())


def _refresh_row(host_id, domain_uuid, name):
    """Bring one row in step after a DEFINED, UNDEFINED or STOPPED event (runs in a worker thread).

    An undefined domain that still runs stays (it became transient), and a
    transient one is gone once it stops: only a lookup tells which. The writer
    (events.write_in_event_order) opens and closes the database connection.
    """
    if is_moving(host_id, domain_uuid):
        return
    host = Host.objects.filter(pk=host_id).first()
    if host is None:
        return
    conn = adapter.open_connection_of(host)
    if conn is None:
        return  # the host was forgotten (or is reconnecting): no verdict on the domain
    try:
        dom = adapter.find_domain(conn, uuid=domain_uuid)
    except VirtError:
        return  # host trouble, not a verdict on the domain
    if dom is not None:
        # The current name, not the event's: a rename sends UNDEFINED
        # with the old name and DEFINED with the new one, and the two
        # refreshes may run in either order.
        name = dom.name()
        updated = Domain.objects.filter(host=host, uuid=domain_uuid).update(
            name=name, gone=False, changed=timezone.now()
        )
        if not updated:
            Domain.objects.bulk_create([Domain(host=host, uuid=domain_uuid, name=name)], ignore_conflicts=True)
    else:
        Domain.objects.filter(host=host, uuid=domain_uuid).update(gone=True, changed=timezone.now())


def _record_start(host_id, domain_uuid, since):
    """Keep the exact start time a STARTED event gives (runs in the event writer's thread)."""
    Domain.objects.filter(host_id=host_id, uuid=domain_uuid).update(
        running_since=since, running_since_exact=since is not None
    )


def _lifecycle_event(host_id, conn, dom, event, detail):
    event_word = states.event_name(event)
    detail_word = states.event_detail(event_word, detail)
    domain_uuid = uuidlib.UUID(bytes=dom.UUID())
    name = dom.name()
    if event_word in ("defined", "undefined"):
        _changes[host_id] = _changes.get(host_id, 0) + 1
    if event_word in ("defined", "undefined", "stopped"):
        events.write_in_event_order(_refresh_row, host_id, domain_uuid, name)
    if event_word in ("started", "stopped"):
        since = timezone.now() if event_word == "started" else None
        events.write_in_event_order(_record_start, host_id, domain_uuid, since)
    events.publish({
        "type": "domain.lifecycle",
        "host": host_id,
        "uuid": str(domain_uuid),
        "name": name,
        "event": event_word,
        "detail": detail_word,
    })


def _watch(connection):
    def register(conn):
        with translated_errors():
            conn.domainEventRegisterAny(
                None,
                libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                lambda c, d, e, de, _o: _lifecycle_event(connection.host_id, c, d, e, de),
                None,
            )

    connection.on_open(register)


def install():
    """Keep Domain rows in step with every host's lifecycle events (called once from DomainsConfig.ready)."""
    adapter.on_new_connection(_watch)
