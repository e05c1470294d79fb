"""What a user owns (domains, vCPUs, memory, disk), what her quota allows, and the one check every create passes.

Owning a domain means holding the Administrator grant on it that creating or cloning it gave (do_give_ownership).
A domain counts its vCPUs and memory as its current definition says, and as disk the sum of the capacities of
its disks (device 'disk', not CD-ROMs) that a storage pool holds; a file no pool holds counts nothing.
"""

from dataclasses import asdict, dataclass

from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree

from domains.access.grants import OWNER_ROLE
from domains.definitions.models import DefinitionRevision
from domains.errors import ConsoleError
from domains.libvirt import storage as libvirt_storage
from domains.libvirt.adapter import VirtError
from domains.lifecycle.models import Domain
from domains.quotas.models import Quota

GIB = 1024 ** 3
MIB = 1024 ** 2
# (usage field, quota field, how a refusal tells what the create would use of it)
RESOURCES = (("domains", "max_domains", _("this would use {value} of your {limit} domains")),
             ("vcpus", "max_vcpus", _("this would use {value} of your {limit} vCPUs")),
             ("memory_mib", "max_memory_mib", _("this would use {value} of your {limit} MiB of memory")),
             ("disk_bytes", "max_disk_bytes", _("this would use {value} of your {limit} of disk")))
# What a page calls each resource beside its usage and limit.
RESOURCE_WORDS = {"domains": _("Domains"), "vcpus": _("vCPUs"), "memory_mib": _("Memory (MiB)"),
                  "disk_bytes": _("Disk (GiB)")}


class QuotaExceeded(ConsoleError):
    """A create or clone that would take the user past her quota; nothing was made."""

    code = "quota_exceeded"
    status = 403


@dataclass
class Usage:
    domains: int = 0
    vcpus: int = 0
    memory_mib: int = 0
    disk_bytes: int = 0

    def __add__(self, other):
        return Usage(*(getattr(self, name) + getattr(other, name) for name, _field, _said in RESOURCES))

    def as_dict(self):
        return asdict(self)


_KIB_PER_UNIT = {"b": 1 / 1024, "bytes": 1 / 1024, "k": 1, "kib": 1, "m": 1024, "mib": 1024, "g": 1024 ** 2,
                 "gib": 1024 ** 2, "t": 1024 ** 3, "tib": 1024 ** 3, "kb": 1000 / 1024, "mb": 1000 ** 2 / 1024,
                 "gb": 1000 ** 3 / 1024, "tb": 1000 ** 4 / 1024}


def definition_use(host, xml, disk_bytes=None):
    """What a new domain of this definition adds: one domain, its vCPUs and memory, and disk_bytes (by default the
    capacities of its disks that the host's pools hold). A definition that does not parse adds one domain only:
    the define refuses it in its own words."""
    try:
        root = etree.fromstring(xml.encode() if isinstance(xml, str) else xml)
    except (etree.XMLSyntaxError, ValueError):
        return Usage(domains=1)
    vcpus = (root.findtext("vcpu") or "").strip()
    memory = root.find("memory")
    memory_kib = int(int(memory.text.strip()) * _KIB_PER_UNIT.get(memory.get("unit", "KiB").lower(), 1)) \
        if memory is not None and (memory.text or "").strip().isdigit() else 0
    if disk_bytes is None:
        disk_bytes = _disk_bytes(host, root)
    return Usage(domains=1, vcpus=int(vcpus) if vcpus.isdigit() else 1, memory_mib=memory_kib // 1024,
                 disk_bytes=disk_bytes)


def owned_domains(user):
    """The domains (not gone) on which user holds the Administrator grant creating or cloning them gave."""
    return Domain.objects.filter(gone=False, grants__user=user, grants__role__name=OWNER_ROLE).distinct()


def _disk_bytes(host, root):
    total = 0
    for source in root.iterfind("devices/disk[@device='disk']/source"):
        try:
            if source.get("pool") and source.get("volume"):
                pool = libvirt_storage.find_pool(host, name=source.get("pool"))
                vol = libvirt_storage.find_volume(pool, source.get("volume")) if pool is not None else None
            else:
                path = source.get("file") or source.get("dev")
                found = libvirt_storage.volume_by_path(host, path) if path else None
                vol = found[1] if found else None
        except VirtError:
            vol = None  # its host is unreachable now: the disk counts again once it answers
        if vol is not None:
            total += libvirt_storage.volume_facts(vol)[1]
    return total


def usage_of(user):
    """What user owns now, as Usage."""
    used = Usage()
    latest = {}
    domains = list(owned_domains(user).select_related("host"))
    revisions = DefinitionRevision.objects.filter(domain__in=domains).order_by("domain_id", "-number")
    for revision in revisions:
        latest.setdefault(revision.domain_id, revision)
    for domain in domains:
        used.domains += 1
        revision = latest.get(domain.pk)
        if revision is None:
            continue
        used.vcpus += revision.vcpus or 0
        used.memory_mib += (revision.memory_kib or 0) // 1024
        used.disk_bytes += _disk_bytes(domain.host, etree.fromstring(revision.xml.encode()))
    return used


def limits_of(user):
    """{resource: limit or None (unlimited)} of user: her own quota if she has one, else the most generous of her
    groups' quotas, else unlimited; a superuser is unlimited."""
    unlimited = {name: None for name, _field, _said in RESOURCES}
    if user.is_superuser:
        return unlimited, "superuser"
    own = Quota.objects.filter(user=user).first()
    if own is not None:
        return {name: getattr(own, field) for name, field, _said in RESOURCES}, "user"
    groups = list(Quota.objects.filter(group__user=user))
    if not groups:
        return unlimited, "none"
    limits = {}
    for name, field, _said in RESOURCES:
        values = [getattr(quota, field) for quota in groups]
        limits[name] = None if None in values else max(values)
    return limits, "group"


def _first_upper(text):
    return text[:1].upper() + text[1:]


# A sentence begun upper-case, whatever language it is said in when it is read.
_capitalised = lazy(_first_upper, str)


def _told(name, value, limit):
    """value as the message says it: disk in GiB, or in MiB under a limit below 1 GiB."""
    if name != "disk_bytes":
        return str(value)
    return f"{value / GIB:.1f} GiB" if limit >= GIB else f"{value / MIB:.1f} MiB"


def check_quota(user, adding):
    """Raise QuotaExceeded, with the numbers, if adding (a Usage) to what user owns goes past her limits.

    The one check the install create and the clone call before they make anything."""
    limits, _source = limits_of(user)
    if all(limit is None for limit in limits.values()):
        return
    used = usage_of(user)
    after = used + adding
    over = []
    for name, _field, said in RESOURCES:
        limit = limits[name]
        if limit is not None and getattr(adding, name) > 0 and getattr(after, name) > limit:
            over.append((name, said, getattr(after, name), limit))
    if over:
        told = [format_lazy(said, value=_told(name, value, limit), limit=_told(name, limit, limit))
                for name, said, value, limit in over]
        uses = _capitalised(format_lazy("; ".join(["{}"] * len(told)), *told))
        raise QuotaExceeded(format_lazy(_("{uses}: ask an administrator to raise your quota, or remove a domain you "
                                          "own."), uses=uses),
                            fields={"exceeded": [{"resource": name, "would_use": value, "limit": limit}
                                                 for name, _said, value, limit in over],
                                    "used": used.as_dict(), "adding": adding.as_dict()})


def usage_rows(user):
    """[{"what", "used", "limit"}] of user's usage beside her limits, as a page shows them (limit None: unlimited)."""
    limits, _source = limits_of(user)
    used = usage_of(user)
    rows = []
    for name, _field, _said in RESOURCES:
        value, limit = getattr(used, name), limits[name]
        if name == "disk_bytes":
            value, limit = round(value / GIB, 1), None if limit is None else round(limit / GIB, 1)
        rows.append({"what": RESOURCE_WORDS[name], "used": value, "limit": limit})
    return rows
