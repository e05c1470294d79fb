"""A pool as pages and the API show it: its row, libvirt's live numbers and what its definition says."""

from domains.libvirt import storage as libvirt_storage
from domains.storage.pools.definition import read_definition


def pool_facts(row, handle):
    """A dict: id, name, uuid, host, type, state, active, persistent, autostart, capacity, allocation,
    available (bytes), target (path), source (dict), volumes (count; None while the pool is not active)."""
    live = libvirt_storage.pool_live(handle)
    definition = read_definition(libvirt_storage.pool_xml(handle, inactive=not live["active"]))
    return {
        "id": row.pk, "name": row.name, "uuid": str(row.uuid), "host": row.host_id, "type": definition.type,
        **live, "target": definition.target, "source": definition.source,
    }


def pool_type_of(handle):
    """The pool's type: dir, fs, disk, logical, ..."""
    return read_definition(libvirt_storage.pool_xml(handle)).type


def pool_target_path(handle):
    """The pool's target path on the host (a directory for dir/fs/netfs, /dev/<vg> for logical), or None."""
    return read_definition(libvirt_storage.pool_xml(handle)).target
