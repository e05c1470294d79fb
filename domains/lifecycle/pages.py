"""A page of the domain list at the cost of the page: ordered and filtered in the database, live state for its rows only."""

import uuid as uuidlib

import libvirt
from django.db import connection
from django.db.models import F, Q
from django.db.models.functions import Collate
from django.utils import timezone

from domains.access import permissions
from domains.hosts.models import Host
from domains.libvirt import adapter
from domains.libvirt.adapter import VirtError
from domains.lifecycle import inventory, states
from domains.lifecycle.listing import DomainItem, named_like
from domains.lifecycle.models import Domain
from domains.tags.actions import tags_by_domain

# States libvirt itself can pick domains by when it lists them; the others are all "other" to it.
LISTED_BY_STATE = {
    "running": libvirt.VIR_CONNECT_LIST_DOMAINS_RUNNING,
    "paused": libvirt.VIR_CONNECT_LIST_DOMAINS_PAUSED,
    "shutoff": libvirt.VIR_CONNECT_LIST_DOMAINS_SHUTOFF,
}
OTHER_STATES = set(states.STATES.values()) - set(LISTED_BY_STATE)
UNANSWERED = object()  # a row libvirt was not asked about: its host is away, or the row is gone


def _by_name():
    """Names in code point order, as the dashboard sorts them (PostgreSQL would use the locale's order)."""
    if connection.vendor == "postgresql":
        return Collate(F("name"), "C")
    return F("name")


class DomainPages:
    """The visible domains matching the filters, sliced a page at a time (what API list pagination asks).

    count() lists each visible host cheaply (current_listing: two small calls when nothing changed) and
    counts the matching rows in the database; a slice asks libvirt for the stats of its own rows only.
    Order and meaning are the dashboard's: by host name, then live before gone, then name.
    """

    def __init__(self, user, host=None, state=None, name=None, uuid=None, tag=None):
        self.user = user
        self.filters = {"host": host, "state": state, "name": name, "uuid": uuid, "tag": tag}
        self._rows = None
        self._listings = {}  # host id -> inventory.Listing, for the hosts libvirt answered
        self._hosts = {}  # host id -> Host

    def _prepare(self):
        if self._rows is not None:
            return self._rows
        hosts = permissions.restrict(Host.objects.all(), self.user)
        if self.filters["host"] is not None:
            hosts = hosts.filter(pk=self.filters["host"])
        for each in hosts:
            self._hosts[each.pk] = each
            if not each.enabled:
                continue
            try:
                self._listings[each.pk] = inventory.current_listing(each)
            except VirtError:
                continue  # its rows answer "unknown" (or "gone"), as on the dashboard
        rows = permissions.restrict(Domain.objects.filter(host__in=list(self._hosts)), self.user)
        if self.filters["name"]:
            rows = named_like(rows, self.filters["name"])
        if self.filters["uuid"] is not None:
            rows = rows.filter(uuid=self.filters["uuid"])
        if self.filters["tag"]:
            rows = rows.filter(tags__name=self.filters["tag"].strip().lower())
        if self.filters["state"] is not None:
            rows = rows.filter(self._in_state(self.filters["state"]))
        self._rows = rows.order_by("host__name", "gone", _by_name(), "pk")
        return self._rows

    def _in_state(self, state):
        """Rows whose domain is in state now: libvirt picks them (no stats) for the hosts that answered."""
        if state == "gone":
            return Q(gone=True)
        if state == "unknown":
            return Q(gone=False) & ~Q(host__in=list(self._listings))
        picked = Q(pk__in=[])
        for host_id, listing in self._listings.items():
            try:
                uuids = _uuids_in_state(listing.conn, state)
            except VirtError:
                continue
            if uuids:
                picked |= Q(host_id=host_id, uuid__in=uuids)
        return picked

    def count(self):
        return self._prepare().count()

    def __len__(self):
        return self.count()

    def __getitem__(self, window):
        """The rows of window (a slice) as DomainItems, with live state from one call per host."""
        columns = ("host_id", "uuid", "name", "gone", "running_since", "running_since_exact", "pk")
        rows = list(self._prepare().values_list(*columns)[window])
        tags = tags_by_domain([row[6] for row in rows])
        live = {}
        for host_id in {row[0] for row in rows}:
            listing = self._listings.get(host_id)
            if listing is not None:
                wanted = [row[1] for row in rows if row[0] == host_id and not row[3]]
                live.update(self._live(self._hosts[host_id], listing, wanted))
        items = []
        for row_host, row_uuid, row_name, gone, since, exact, pk in rows:
            host_name = self._hosts[row_host].name
            item = live.get((row_host, row_uuid), UNANSWERED)
            if isinstance(item, inventory.LiveDomain):
                items.append(DomainItem(row_uuid, item.name, row_host, host_name, item.state, item.reason,
                                        item.vcpus, item.memory_kib, item.max_memory_kib, item.cpu_percent,
                                        since if item.active else None, exact, tags.get(pk, [])))
            else:  # None: undefined since the listing
                state = "gone" if gone or item is None else "unknown"
                items.append(DomainItem(row_uuid, row_name, row_host, host_name, state, tags=tags.get(pk, [])))
        return items

    def _live(self, host, listing, uuids):
        """{(host id, uuid): LiveDomain or None if undefined meanwhile} for these rows of one host."""
        handles, missing = [], []
        for each in uuids:
            handle = listing.handles.get(each)
            if handle is None:
                missing.append(each)
            else:
                handles.append(handle)
        try:
            for each in missing:  # rows made by an event since the listing: rare, one lookup each
                handle = adapter.find_domain(listing.conn, uuid=each)
                if handle is not None:
                    handles.append(handle)
            records = adapter.domain_stats(listing.conn, handles, inventory.BULK_STATS)
        except VirtError:
            return {}  # the host went away meanwhile: these rows answer "unknown"
        answer = {(host.pk, each): None for each in uuids}
        for dom, stats in records:
            live = inventory.live_from_stats(host, dom, stats)
            answer[(host.pk, live.uuid)] = live
        undefined = [each for each in uuids if answer[(host.pk, each)] is None]
        if undefined:
            # Undefined outside the console since the listing: as a listing would, mark the rows gone.
            inventory.forget_listing(host.pk)
            Domain.objects.filter(host=host, uuid__in=undefined).update(gone=True, running_since=None,
                                                                         changed=timezone.now())
        return answer


def _uuids_in_state(conn, state):
    """The UUIDs of conn's domains in state now (a libvirt state word), without stats where libvirt can pick."""
    if state in LISTED_BY_STATE:
        return [uuidlib.UUID(bytes=dom.UUID()) for dom in adapter.list_domains(conn, LISTED_BY_STATE[state])]
    if state not in OTHER_STATES:
        return []
    others = adapter.list_domains(conn, libvirt.VIR_CONNECT_LIST_DOMAINS_OTHER)
    return [uuidlib.UUID(bytes=dom.UUID()) for dom, stats in adapter.domain_stats(conn, others, libvirt.VIR_DOMAIN_STATS_STATE)
            if states.state_name(stats.get("state.state", libvirt.VIR_DOMAIN_NOSTATE)) == state]
