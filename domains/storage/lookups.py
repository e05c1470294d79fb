"""The one way to find a pool (and its libvirt handle) for a user: every storage view and action uses these."""

import uuid as uuidlib

from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.access import permissions
from domains.hosts.models import Host
from domains.libvirt import storage as libvirt_storage
from domains.storage.models import Pool

# An Http404's words are said at once (str): Django's 404 page shows a message only when it is a str.
NO_HOST = _("No such host, or you may not see it.")


def no_volume(volume_name, pool_name):
    """The words of an Http404 for a missing volume."""
    return format_lazy(_("No volume '{volume}' in pool '{pool}'."), volume=volume_name, pool=pool_name)


def pool_row(host, handle):
    """The Pool row of a libvirt pool handle, made on first sight and renamed or revived to match libvirt."""
    pool_uuid = uuidlib.UUID(bytes=handle.UUID())
    name = handle.name()
    row = Pool.objects.filter(host=host, uuid=pool_uuid).first()
    if row is None:
        try:
            with transaction.atomic():
                return Pool.objects.create(host=host, uuid=pool_uuid, name=name)
        except IntegrityError:  # another thread or process made it just now
            row = Pool.objects.get(host=host, uuid=pool_uuid)
    if row.name != name or row.gone:
        row.name, row.gone = name, False
        row.save(update_fields=["name", "gone", "changed"])
    return row


def visible_pool(user, host_pk, name, permission="storage_pool.getattr"):
    """(Pool row, virStoragePool) for the pool called name on host host_pk, checked for permission.

    Http404 when the host or pool does not exist or user may not see it (a hidden pool answers as a
    missing one); permissions.PermissionDenied naming permission when it is visible but not held.
    """
    host = Host.objects.filter(pk=host_pk).first()
    # Someone who may see nothing on the host never makes the console ask its libvirt.
    if host is None or not permissions.has_perm(user, "getattr", host):
        raise Http404(str(NO_HOST))
    handle = libvirt_storage.find_pool(host, name=name)
    row = pool_row(host, handle) if handle is not None else None
    if row is None or not permissions.has_perm(user, "storage_pool.getattr", row):
        raise Http404(str(format_lazy(_("No pool '{name}' on host {host}, or you may not see it."), name=name,
                                      host=host_pk)))
    if not permissions.has_perm(user, permission, row):
        raise permissions.PermissionDenied(permission, row)
    return row, handle
