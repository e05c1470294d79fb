"""What the install page may offer a user on one host: media, images, pools, networks, firmware."""

from dataclasses import dataclass, field

from domains.access import permissions
from domains.definitions.create import host_offer
from domains.libvirt import install as libvirt_install
from domains.libvirt import storage as libvirt_storage
from domains.libvirt.adapter import VirtError
from domains.storage.lookups import pool_row
from domains.storage.volumes.iso_library import is_install_medium


@dataclass
class InstallOffer:
    media: list = field(default_factory=list)  # "pool/volume" install media (the ISO library)
    images: list = field(default_factory=list)  # "pool/volume" other volumes: cloud images, disks to import
    disk_pools: list = field(default_factory=list)  # pools where the user may make and write volumes
    networks: list = field(default_factory=list)
    firmwares: list = field(default_factory=lambda: ["bios"])
    kinds: list = field(default_factory=lambda: ["network"])


def install_offer(user, host):
    """Only what this host has and this user may use; an embedded host offers network boot alone (no pools)."""
    offer = InstallOffer(firmwares=libvirt_install.firmware_offer(host))
    offer.networks = host_offer(host).networks
    if host.embedded:
        return offer
    try:
        pools = libvirt_storage.active_pools(host)
    except VirtError:
        pools = []
    for handle in pools:
        row = pool_row(host, handle)
        if not permissions.has_perm(user, "storage_pool.search_storage_vols", row):
            continue
        if permissions.has_perm(user, "storage_vol.create", row) and \
                permissions.has_perm(user, "storage_vol.data_write", row):
            offer.disk_pools.append(row.name)
        if not permissions.has_perm(user, "storage_vol.data_read", row):
            continue
        for name, volume_format, _capacity, _allocation in libvirt_storage.list_volumes(handle):
            (offer.media if is_install_medium(name, volume_format) else offer.images).append(f"{row.name}/{name}")
    # An ISO can also be uploaded on the spot, into a pool where the user may make and write volumes.
    offer.kinds = (["iso"] if offer.media or offer.disk_pools else []) + (["cloud-image", "import"] if offer.images else []) + ["network"]
    return offer
