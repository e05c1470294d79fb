"""What a clone onto another host will make, checked before anything is made: the destination host (same kind,
define_domains), each disk copied into a pool there by storage streams or shared with a volume it has already, the
NVRAM through a pool of the same name, and the networks the clone's interfaces name.

A refused plan changes nothing: the job starts only from a plan that passed every check here and in plan.py.
"""

import os

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree

from domains.access import lookups, permissions
from domains.clones.plan import (
    CloneError,
    ClonePlan,
    DiskPlan,
    check_name,
    choices,
    describe_disks,
    disks_of,
    format_refused,
    name_volumes,
    source_volume,
    target_pool,
    unknown_disks,
)
from domains.hosts.models import Host
from domains.libvirt import adapter, uris
from domains.libvirt import clones as libvirt_clones
from domains.libvirt import migration as libvirt_migration
from domains.libvirt import storage as libvirt_storage
from domains.libvirt.adapter import VirtError
from domains.networks.interface_sources import (
    missing_code,
    missing_sources,
    missing_words,
)
from domains.storage.lookups import pool_row
from domains.storage.volumes.actions import volume_formats

HOST_PERMISSION = "define_domains"


def kind_of(host):
    """The driver a host's URI names (qemu, test, ...): what 'of the same kind' compares before connecting."""
    return uris.scheme_parts(host.uri)[0]


def destination_hosts(user, source_host):
    """The other hosts a clone of a domain of source_host may go to: of its kind, not embedded, with define_domains
    held there by user (by their URIs: no host is asked)."""
    if source_host.embedded:
        return []
    rows = permissions.restrict(Host.objects.exclude(pk=source_host.pk).filter(embedded=False), user, HOST_PERMISSION)
    return [host for host in rows.order_by("name") if kind_of(host) == kind_of(source_host)]


def find_destination(user, source_host, host_id):
    """The Host a clone goes to: source_host when host_id is None or names it, else the row host_id names that
    user may see (define_domains is checked by the caller, audited). CloneError when there is none."""
    if host_id is None or host_id == source_host.pk:
        return source_host
    found = lookups.seen_by(user, Host, ("getattr", HOST_PERMISSION)).filter(pk=host_id).first() \
        if isinstance(host_id, int) else None
    if found is None:
        raise CloneError(format_lazy(_("There is no host {host} that you may see: choose one of the hosts the Clone "
                                       "page lists, or leave the host out to clone on the domain's own host."),
                                     host=repr(host_id)),
                         code="no_host", fields={"host": [_("No such host.")]})
    return found


def check_kind(source_host, dest):
    """Refuse a destination of another kind than source_host (by URI, then by libvirt's driver), the embedded host
    on either side, and one that does not answer."""
    if dest.embedded or source_host.embedded or kind_of(dest) != kind_of(source_host):
        if source_host.embedded:
            message = _("Host '{dest}' cannot receive a domain of the embedded host '{source}' (it has no storage "
                        "pools), and '{source}' runs {source_kind} domains: a clone goes to a host of the same kind "
                        "only. Choose another host.")
        elif dest.embedded:
            message = _("Host '{dest}' is the embedded QEMU driver of this server, and '{source}' runs {source_kind} "
                        "domains: a clone goes to a host of the same kind only. Choose another host.")
        else:
            message = _("Host '{dest}' runs {dest_kind} domains, and '{source}' runs {source_kind} domains: a clone "
                        "goes to a host of the same kind only. Choose another host.")
        raise CloneError(format_lazy(message, dest=dest, source=source_host, dest_kind=kind_of(dest),
                                     source_kind=kind_of(source_host)),
                         code="destination_other_kind", status=409, fields={"host": [_("Another kind of host.")]})
    try:
        kinds = [libvirt_migration.driver_type(adapter.connection_for(host).get()) for host in (source_host, dest)]
    except VirtError as exc:
        raise CloneError(format_lazy(_("Host '{host}' cannot be reached ({error}): check that its libvirtd runs and "
                                       "answers, then try again."), host=dest, error=exc.message),
                         code="destination_unreachable", status=409) from None
    if kinds[0] != kinds[1]:
        raise CloneError(format_lazy(_("Host '{dest}' runs {dest_kind} domains and '{source}' runs {source_kind}: a "
                                       "clone goes to a host of the same kind only. Choose another host."),
                                     dest=dest, dest_kind=kinds[1], source=source_host, source_kind=kinds[0]),
                         code="destination_other_kind", status=409, fields={"host": [_("Another kind of host.")]})


def _volume_at(host, pool_name, volume_name):
    """The volume pool_name/volume_name of host (its pool refreshed first), or None."""
    handle = libvirt_storage.find_pool(host, name=pool_name)
    if handle is None or not libvirt_storage.pool_space(handle, refresh=True)[0]:
        return None
    return libvirt_storage.find_volume(handle, volume_name)


def _share(domain, dest, plan, found):
    """A read-only disk shared: the destination's volume of the same pool and name as the source's."""
    plan.mode = "share"
    if plan.source_path is None:
        return plan  # an empty drive: nothing to find there
    if not (plan.readonly or plan.device == "cdrom"):
        raise CloneError(format_lazy(_("Disk {disk} of '{domain}' is writable: on host '{host}' the clone cannot share "
                                       "its image (two domains writing one image corrupt it, and this one is on "
                                       "another host). Copy it."), disk=plan.target, domain=domain.name, host=dest),
                         code="share_refused", status=409,
                         fields={"disks": [format_lazy(_("{disk}: copy it."), disk=plan.target)]})
    if plan.source_path is None:
        return plan  # an empty drive: nothing to find there
    pool_name, volume_name = (libvirt_storage.pool_name_of(found[0]), libvirt_storage.volume_identity(found[1])[0]) \
        if found is not None else (None, os.path.basename(plan.source_path))
    there = _volume_at(dest, pool_name, volume_name) if pool_name is not None else None
    if there is None:
        if pool_name:
            message = format_lazy(_("Disk {disk} of '{domain}' cannot be shared on host '{host}': it has no volume "
                                    "'{volume}' in pool '{pool}'. Put the same image there under that pool and name, "
                                    "or copy the disk."), disk=plan.target, domain=domain.name, host=dest,
                                  volume=volume_name, pool=pool_name)
        else:
            message = format_lazy(_("Disk {disk} of '{domain}' cannot be shared on host '{host}': it has no volume "
                                    "'{volume}' in a pool (the source's image is in none). Put the same image there "
                                    "under that pool and name, or copy the disk."), disk=plan.target,
                                  domain=domain.name, host=dest, volume=volume_name)
        raise CloneError(message, code="share_refused", status=409,
                         fields={"disks": [format_lazy(_("{disk}: not on host '{host}'."), disk=plan.target,
                                                       host=dest)]})
    plan.pool_name, plan.volume_name = pool_name, volume_name
    plan.dest_path = libvirt_storage.volume_identity(there)[2]
    plan.format = libvirt_clones.volume_format(there) or "raw"
    plan.block = libvirt_clones.volume_is_block(there)
    return plan


def _copy(user, domain, dest, running, plan, found, choice):
    """A disk copied onto dest: the source volume's bytes moved as they are (its format), converted there into the
    format asked for."""
    target = plan.target
    if running and not plan.readonly:
        raise CloneError(format_lazy(_("'{domain}' is running: its disk {disk} changes while it is copied. Shut down "
                                       "{domain} first, then clone it."), domain=domain.name, disk=target),
                         code="source_running", status=409)
    if found is None:
        raise CloneError(format_lazy(_("Disk {disk} of '{domain}' ({path}) is in no storage pool of host '{host}': the "
                                       "console copies disks to another host through libvirt's pools. Define a pool "
                                       "on its directory, or share the disk if it is read-only."),
                                     disk=target, domain=domain.name, path=plan.source_path, host=domain.host),
                         code="not_in_pool", status=409,
                         fields={"disks": [format_lazy(_("{disk}: in no pool."), disk=target)]})
    source_handle, plan.source_vol = found
    source_row = pool_row(domain.host, source_handle)
    if not permissions.has_perm(user, "storage_vol.data_read", source_row):
        raise permissions.PermissionDenied("storage_vol.data_read", source_row)
    backing = etree.fromstring(libvirt_storage.volume_definition(plan.source_vol).encode()).findtext(
        "backingStore/path")
    if backing:
        raise CloneError(format_lazy(_("Disk {disk} of '{domain}' is an overlay on {backing}: a copy to another host "
                                       "moves one image, not the chain under it. Clone it on its own host first (a "
                                       "copy there holds the whole chain), then clone that copy."),
                                     disk=target, domain=domain.name, backing=backing),
                         code="backing_chain", status=409,
                         fields={"disks": [format_lazy(_("{disk}: an overlay."), disk=target)]})
    plan.source_format = libvirt_clones.volume_format(plan.source_vol) or "raw"
    plan.pool_name = choice.get("pool") or libvirt_storage.pool_name_of(source_handle)
    plan.pool, plan.pool_row = target_pool(user, dest, plan.pool_name, target)
    allowed, _default = volume_formats(plan.pool_row, plan.pool)
    if (plan.source_format not in allowed) if allowed else plan.source_format != "raw":
        raise CloneError(format_lazy(_("Disk {disk} is {format}, which pool '{pool}' of host '{host}' cannot hold: a "
                                       "copy to another host moves the image as it is before converting it. Choose a "
                                       "directory pool."), disk=target, format=plan.source_format,
                                     pool=plan.pool_name, host=dest),
                         code="format_refused",
                         fields={"disks": [format_lazy(_("{disk}: another pool."), disk=target)]})
    wanted = choice.get("format") or plan.source_format
    if allowed and wanted not in allowed:
        raise format_refused(wanted, plan.pool_name, target, allowed)
    plan.format = wanted if allowed else None
    _kind, plan.capacity, plan.allocation, physical = libvirt_storage.volume_facts(plan.source_vol)
    plan.moved = physical if physical is not None else plan.capacity
    return plan


def _plan_disk(user, domain, dest, running, disk, path, choice):
    target = disk.find("target").get("dev")
    device = disk.get("device", "disk")
    plan = DiskPlan(target, device, "share", path, disk.find("readonly") is not None,
                    disk.find("shareable") is not None)
    mode = choice.get("mode")
    if mode == "linked":
        raise CloneError(format_lazy(_("A linked clone of disk {disk} is an overlay on '{domain}''s image, which is "
                                       "on host '{source}': on host '{dest}' the clone could not read it. Copy the "
                                       "disk."), disk=target, domain=domain.name, source=domain.host, dest=dest),
                         code="linked_refused", status=409,
                         fields={"disks": [format_lazy(_("{disk}: copy it."), disk=target)]})
    found = None
    if path is not None:
        try:
            found = source_volume(domain.host, disk, path)
        except VirtError:
            found = None
    if mode is None and (path is None or plan.readonly or device == "cdrom"):
        # A read-only disk is shared where the destination has its image, else copied (if a pool holds it).
        try:
            return _share(domain, dest, plan, found)
        except CloneError:
            if found is None:
                raise
    plan.mode = mode or "copy"
    if plan.mode == "share":
        return _share(domain, dest, plan, found)
    if path is None:
        raise CloneError(format_lazy(_("Disk {disk} of '{domain}' has no medium: there is nothing to {mode}. Leave "
                                       "it out, or choose share."), disk=target, domain=domain.name, mode="copy"),
                         fields={"disks": [format_lazy(_("{disk}: empty."), disk=target)]})
    return _copy(user, domain, dest, running, plan, found, choice)


def _space(plan, dest):
    needed = {}
    for disk in plan.disks:
        if disk.makes_volume:
            # A converted copy holds the moved image and its conversion at once, until the first is deleted.
            size = disk.moved + (disk.allocation if disk.staged_name else 0)
            needed.setdefault(disk.pool_name, [disk.pool, 0])[1] += size
    for name, (pool, size) in needed.items():
        available = libvirt_storage.pool_space(pool, refresh=False)[3]
        if size > available:
            raise CloneError(format_lazy(_("The copies need {size} bytes in pool '{name}' of host '{host}', which has "
                                           "{available} available: free space there, or copy into another pool."),
                                         size=size, name=name, host=dest, available=available),
                             code="insufficient_space", status=409)


def _interface_sources(root, dest):
    missing = missing_sources(dest, root)
    if missing:
        raise CloneError(format_lazy(_("{missing}, which the clone's interfaces use: create them there under the same "
                                       "names first, or clone onto another host."),
                                     missing=missing_words(dest, missing)),
                         code=missing_code(missing), status=409, fields=missing)


def _nvram(user, domain, dest, plan, root):
    """The NVRAM copied into the destination's pool of the name of the source's (the one-host clone copies it
    beside the source's); a fresh one from the firmware's template when no pool holds the source's."""
    path = root.findtext("os/nvram")
    if not path:
        return
    found = libvirt_storage.volume_by_path(domain.host, path)
    if found is None:
        plan.notes.append(f"The source's NVRAM ({path}) is in no storage pool: the clone starts with fresh UEFI "
                          "variables from the firmware's template (its boot entries are not copied).")
        return
    handle, vol = found
    source_row = pool_row(domain.host, handle)
    if not permissions.has_perm(user, "storage_vol.data_read", source_row):
        raise permissions.PermissionDenied("storage_vol.data_read", source_row)
    pool_name = libvirt_storage.pool_name_of(handle)
    try:
        dest_handle, dest_row = target_pool(user, dest, pool_name, "NVRAM")
    except CloneError:
        raise CloneError(format_lazy(_("Host '{host}' has no pool '{pool}' that you may write, where the clone's NVRAM "
                                       "would be copied (the source's is in pool '{pool}'): create that pool there, "
                                       "or ask for storage_vol.create and data_write on it."),
                                     host=dest, pool=pool_name),
                         code="no_pool", status=400,
                         fields={"nvram": [format_lazy(_("No pool '{pool}'."), pool=pool_name)]}) from None
    plan.nvram_source = (dest_handle, dest_row, vol)
    plan.nvram_volume = os.path.basename(path).replace(domain.name, plan.name) if domain.name in path \
        else f"{plan.name}_VARS.fd"
    libvirt_storage.refresh_pool(dest_handle)
    if libvirt_storage.find_volume(dest_handle, plan.nvram_volume) is not None:
        raise CloneError(format_lazy(_("Pool '{pool}' of host '{host}' already has a volume '{name}', which the "
                                       "clone's NVRAM would be: choose another name for the clone."),
                                     pool=pool_name, host=dest, name=plan.nvram_volume),
                         code="volume_exists", status=409, fields={"name": [_("Its NVRAM's volume exists.")]})


def make_remote_plan(user, domain, dom, dest, name, disks):
    """The checked ClonePlan of cloning domain (its virDomain dom) onto the host dest as name with the disk choices
    disks (as plan.make_plan takes them)."""
    check_kind(domain.host, dest)
    check_name(dest, name)
    chosen = choices(disks)
    secure = permissions.has_perm(user, "read_secure", domain)
    source_xml = libvirt_clones.source_definition(dom, secure=secure)
    root = etree.fromstring(source_xml.encode())
    _interface_sources(root, dest)
    running = adapter.is_running(dom)
    plan = ClonePlan(name, source_xml, destination=dest)
    known = set()
    for disk, path in disks_of(source_xml):
        target = disk.find("target").get("dev")
        known.add(target)
        plan.disks.append(_plan_disk(user, domain, dest, running, disk, path, chosen.get(target, {})))
    unknown = sorted(set(chosen) - known)
    if unknown:
        raise CloneError(unknown_disks(domain, unknown, known),
                         fields={"disks": [format_lazy(_("No disk {disk}."), disk=unknown[0])]})

    name_volumes(plan, dest)
    _space(plan, dest)
    _nvram(user, domain, dest, plan, root)
    if not secure:
        plan.notes.append("Secrets of the source's definition (graphics passwords) are not copied: you may not read "
                          "them (read_secure).")
    return plan


def describe_remote_disks(domain, dom):
    """The clone form's rows when the clone goes to another host: copy where a pool holds the disk (and the source
    is shut off, or the disk read-only); share for read-only disks and CD-ROMs the destination holds too."""
    rows = describe_disks(domain, dom)
    for row in rows:
        may_share = row["readonly"] or row["device"] == "cdrom"
        row["modes"] = [mode for mode in row["modes"] if mode == "copy" or (mode == "share" and may_share)]
        # A CD-ROM's image is usually on the other host too: shared by default, as the API does when it is there.
        row["default"] = "share" if "share" in row["modes"] else (row["modes"][0] if row["modes"] else None)
    return rows
