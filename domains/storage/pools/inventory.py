"""Keeping Pool rows in step with libvirt: a row for every pool seen, gone for those undefined outside the console."""

import uuid as uuidlib

from domains.access import permissions
from domains.libvirt import storage as libvirt_storage
from domains.storage.lookups import pool_row
from domains.storage.models import Pool


def sync_pools(host):
    """[(Pool row, virStoragePool)] for every pool libvirt has on host, by name; rows of vanished pools marked gone."""
    handles = libvirt_storage.list_pools(host)
    pairs = [(pool_row(host, handle), handle) for handle in handles]
    Pool.objects.filter(host=host, gone=False).exclude(pk__in=[row.pk for row, _ in pairs]).update(gone=True)
    return sorted(pairs, key=lambda pair: pair[0].name)


def pools_seen_by(user, host):
    """The (row, handle) pairs of host's pools user may see (storage_pool.getattr), after a sync."""
    pairs = sync_pools(host)
    visible = set(permissions.restrict(Pool.objects.filter(host=host), user, "storage_pool.getattr")
                  .values_list("pk", flat=True))
    return [(row, handle) for row, handle in pairs if row.pk in visible]


def mark_gone(host_id, pool_uuid):
    """The pool with pool_uuid (uuid.UUID or bytes) was undefined: keep its row, grants and history, marked gone."""
    if isinstance(pool_uuid, bytes):
        pool_uuid = uuidlib.UUID(bytes=pool_uuid)
    Pool.objects.filter(host_id=host_id, uuid=pool_uuid).update(gone=True)
