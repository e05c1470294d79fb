"""The ISO library of a host: the volumes holding install media in the pools a user may see, and new ones."""

from django.http import Http404
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.access import permissions
from domains.hosts.models import Host
from domains.libvirt import storage as libvirt_storage
from domains.storage.lookups import NO_HOST, pool_row, visible_pool
from domains.storage.transfer.content import TransferError
from domains.storage.volumes.actions import do_create_volume


def is_install_medium(name, volume_format):
    return volume_format == "iso" or name.lower().endswith(".iso")


def host_for(user, host_pk):
    host = Host.objects.filter(pk=host_pk).first()
    if host is None or not permissions.has_perm(user, "getattr", host):
        raise Http404(str(NO_HOST))
    return host


def library(user, host):
    """(media, upload_pools): [{pool, name, format, capacity, allocation, may_download}] and the pool names
    where user may create a volume and write into it."""
    media, upload_pools = [], []
    for handle in libvirt_storage.active_pools(host):
        row = pool_row(host, handle)
        if not permissions.has_perm(user, "storage_pool.search_storage_vols", row):
            continue
        may_download = permissions.has_perm(user, "storage_vol.data_read", row)
        if permissions.has_perm(user, "storage_vol.create", row) and \
                permissions.has_perm(user, "storage_vol.data_write", row):
            upload_pools.append(row.name)
        for name, volume_format, capacity, allocation in libvirt_storage.list_volumes(handle):
            if is_install_medium(name, volume_format):
                media.append({"pool": row.name, "name": name, "format": volume_format, "capacity": capacity,
                              "allocation": allocation, "may_download": may_download})
    media.sort(key=lambda medium: (medium["name"].lower(), medium["pool"]))
    return media, sorted(upload_pools)


def do_create_medium_volume(user, host, pool_name, name, size, source_address=None):
    """An empty raw volume of size bytes for an ISO to be uploaded into; its name ends in .iso."""
    if not name or "/" in name or name in (".", "..") or not name.lower().endswith(".iso"):
        raise TransferError(format_lazy(_("'{name}' cannot name install media: use a file name without '/' ending "
                                          "in .iso."), name=name),
                            code="invalid", fields={"name": [_("A file name ending in .iso.")]})
    if size <= 0:
        raise TransferError(_("The file is empty: choose an ISO image."), code="invalid", fields={"size": ["> 0"]})
    row, handle = visible_pool(user, host.pk, pool_name, "storage_vol.create")
    permissions.require(user, "storage_vol.data_write", row)
    if libvirt_storage.find_volume(handle, name) is not None:
        raise TransferError(format_lazy(_("Pool '{pool}' has a volume '{name}' already: rename the file, or delete "
                                          "that volume first."), pool=pool_name, name=name), code="exists", status=409)
    # Nothing allocated: the upload writes every byte, and a sparse ISO stays sparse.
    do_create_volume(user, row, handle, name, size, fmt="raw", allocation=0, source_address=source_address)
    return row
