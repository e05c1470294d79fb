"""What stands on a file: the volumes built on it (a linked clone, another domain's overlay) and the domains using them.

Deleting such a file, or writing to it, loses or corrupts their data: the undefine with storage, the snapshot
deletion and the start of a domain all ask here first. Files outside every pool are not seen (libvirt reads backing
files of pool volumes only); the pools are refreshed first so overlays libvirt made behind them are seen too.
"""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree

from domains.libvirt import storage as libvirt_storage
from domains.libvirt.adapter import VirtError
from domains.storage.volumes.actions import (
    HostUsage,
    _naming,
    split_visible,
    split_visible_overlays,
)


def fresh_usage(host):
    """A HostUsage read after every active pool was refreshed (libvirt makes snapshot overlays behind its pools)."""
    for pool in libvirt_storage.active_pools(host):
        try:
            libvirt_storage.refresh_pool(pool)
        except VirtError:
            pass  # a pool busy building a volume keeps its last listing; that volume is not an overlay yet
    return HostUsage(host)


def paths_named(xml):
    """Every file a domain (or snapshot) definition names as a disk's source or backing."""
    root = etree.fromstring(xml.encode())
    return {source.get("file") or source.get("dev") for source in root.iterfind(".//disk//source")
            if source.get("file") or source.get("dev")}


def standing_on(usage, path, own_paths=()):
    """[(pool, volume, path)] of the volumes built on path (directly or through other overlays), leaving out own_paths
    (the asking domain's own chain: its overlays stand on its base by design)."""
    return [overlay for overlay in usage.overlays_of(path) if overlay[2] not in own_paths]


def other_users(usage, path, own_uuid):
    """(uuid, name) of the domains other than own_uuid whose definitions name path itself."""
    found = libvirt_storage.volume_by_path(usage.host, path)
    # "" never matches: a disk named by path has no pool attribute (None), and no pool is called "".
    pool, volume = (libvirt_storage.pool_name_of(found[0]), libvirt_storage.volume_identity(found[1])[0]) \
        if found else ("", "")
    return [user for user in usage.domains_using(pool, volume, path, []) if user[0] != str(own_uuid)]


def dependents_words(user, usage, overlays, own_uuid):
    """'pool/volume (used by domain 'x')' words for a refusal, naming only what user may see."""
    shown, hidden = split_visible_overlays(user, usage.host, overlays)
    using = usage.domains_using(*overlays[0], overlays) if overlays else []
    users, _hidden = split_visible(user, usage.host, [u for u in using if u[0] != str(own_uuid)])
    words = _naming([f"{o['pool']}/{o['volume']}" for o in shown], hidden, "volume")
    if users:
        words = format_lazy(_("{volumes} (used by {domains})"), volumes=words,
                            domains=", ".join(repr(u["name"]) for u in users))
    return words, shown, users
