"""The domains a user may see, with live state: one bulk libvirt call per host, constant queries."""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from domains.access import permissions
from domains.hosts.models import Host
from domains.libvirt import adapter
from domains.libvirt.adapter import VirtError
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain
from domains.tags.actions import tags_by_domain


def named_like(rows, name):
    """rows whose name contains name, any case; none for a name holding a NUL character, which no name holds and
    PostgreSQL refuses to compare at all (a 500)."""
    return rows.filter(name__icontains=name) if "\x00" not in name else rows.none()


@dataclass
class DomainItem:
    uuid: object
    name: str
    host: int
    host_name: str
    state: str
    reason: str = ""
    vcpus: int | None = None
    memory_kib: int | None = None
    max_memory_kib: int | None = None
    cpu_percent: float | None = None
    running_since: datetime | None = None
    running_since_exact: bool = False
    tags: list = field(default_factory=list)  # the domain's tags (domains.tags), sorted


@dataclass
class HostSection:
    host: Host
    health: object
    error: str
    items: list
    listed: bool = False  # libvirt answered: the host's rows carry live state


def list_domains(user, host=None, state=None, name=None):
    """Sections per visible host, each with the visible domains that match the filters."""
    sections = []
    for section, _pk, item in _visible_items(user, host, name, sections):
        if state is None or item.state == state:
            section.items.append(item)
    for section in sections:
        section.items.sort(key=lambda item: (item.state == "gone", item.name))
    return sections


def list_rows(user):
    """(sections without items, [(Domain row id, DomainItem)]) of every domain user may see: the overview's list,
    which filters and sorts on live state itself. Same cost as list_domains: one bulk call per host."""
    sections = []
    rows = [(pk, item) for _section, pk, item in _visible_items(user, None, None, sections)]
    return sections, rows


def _visible_items(user, host, name, sections):
    """Yield (section, row id, DomainItem) for each visible domain; sections (a list) receives each visible host."""
    hosts = permissions.restrict(Host.objects.all(), user)
    if host is not None:
        hosts = hosts.filter(pk=host)
    live_by_host = {}
    for each in hosts:
        error = ""
        if not each.enabled:
            error = _("Host is disabled.")
        else:
            try:
                live_by_host[each.pk] = {item.uuid: item for item in inventory.sync_host(each)}
            except VirtError as exc:
                error = exc.message
        sections.append(HostSection(each, adapter.health_of(each), error, [], listed=each.pk in live_by_host))
    by_host = {section.host.pk: section for section in sections}
    rows = permissions.restrict(Domain.objects.filter(host__in=list(by_host)), user)
    if name:
        rows = named_like(rows, name)
    columns = ("pk", "host_id", "uuid", "name", "gone", "running_since", "running_since_exact")
    tags = tags_by_domain(rows)
    for pk, row_host, row_uuid, row_name, gone, since, exact in rows.values_list(*columns):
        section = by_host[row_host]
        live = live_by_host.get(row_host, {}).get(row_uuid)
        if live is not None:
            item = DomainItem(row_uuid, live.name, row_host, section.host.name, live.state, live.reason,
                              live.vcpus, live.memory_kib, live.max_memory_kib,
                              live.cpu_percent, since if live.active else None, exact, tags.get(pk, []))
        else:
            item = DomainItem(row_uuid, row_name, row_host, section.host.name, "gone" if gone else "unknown",
                              tags=tags.get(pk, []))
        yield section, pk, item
