"""Which pool types a host supports and what each needs, from libvirt's storage pool capabilities."""

from dataclasses import asdict, dataclass, field

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from lxml import etree

from domains.libvirt import storage as libvirt_storage
from domains.storage.pools.policy import PoolError

# What each pool type's <source> needs (libvirt's storage driver documentation); "target" says whether
# the pool has a target path on the host. Types not listed here are offered with raw XML only.
TYPE_FIELDS = {
    "dir": {"source": [], "target": True},
    "fs": {"source": ["device", "format"], "target": True},
    "netfs": {"source": ["host", "dir", "format"], "target": True},
    "logical": {"source": ["name", "device"], "target": False},
    "disk": {"source": ["device", "format"], "target": True},
    "iscsi": {"source": ["host", "device"], "target": True},
    "iscsi-direct": {"source": ["host", "device", "initiator"], "target": False},
    "scsi": {"source": ["adapter"], "target": True},
    "mpath": {"source": [], "target": True},
    "rbd": {"source": ["host", "name"], "target": False},
    "sheepdog": {"source": ["host", "name"], "target": False},
    "gluster": {"source": ["host", "name", "dir"], "target": False},
    "zfs": {"source": ["name", "device"], "target": False},
    "vstorage": {"source": ["name"], "target": True},
}
# What the form and API say each source field is.
FIELD_HELP = {
    "device": _("Host block device(s), e.g. /dev/sdb or /dev/loop0 (under the host's pool paths)."),
    "host": _("Name or address of the storage server."),
    "dir": _("Directory exported by the server (netfs) or path inside the volume (gluster)."),
    "name": _("Name of the volume group, RBD pool, gluster volume or ZFS pool."),
    "format": _("Source format (file system type for fs/netfs, partition table for disk)."),
    "adapter": _("SCSI host adapter name, e.g. host0."),
    "initiator": _("iSCSI initiator IQN."),
}


@dataclass
class PoolType:
    """One pool type as this host's libvirt reports it."""

    type: str
    supported: bool
    source_fields: list = field(default_factory=list)
    target: bool = True
    source_formats: list = field(default_factory=list)
    default_format: str | None = None
    # What a volume of this type may be: file formats for file pools, partition types for disk pools; empty
    # where libvirt's volumes have no format (logical volumes, RBD images).
    volume_formats: list = field(default_factory=list)
    default_volume_format: str | None = None

    def as_dict(self):
        return asdict(self)


def parse_capabilities(xml):
    """[PoolType] from a <storagepoolCapabilities> document, in libvirt's order."""
    root = etree.fromstring(xml.encode("utf-8"))
    types = []
    for element in root.findall("pool"):
        name = element.get("type")
        known = TYPE_FIELDS.get(name, {"source": [], "target": True})
        formats = [value.text for value in element.findall("poolOptions/enum[@name='sourceFormatType']/value")]
        default = element.find("poolOptions/defaultFormat")
        volume_formats = [value.text for value in element.findall("volOptions/enum[@name='targetFormatType']/value")]
        volume_default = element.find("volOptions/defaultFormat")
        types.append(PoolType(type=name, supported=element.get("supported") == "yes",
                              source_fields=list(known["source"]), target=known["target"], source_formats=formats,
                              default_format=default.get("type") if default is not None else None,
                              volume_formats=volume_formats,
                              default_volume_format=volume_default.get("type") if volume_default is not None
                              else None))
    return types


def pool_types(host):
    """[PoolType] for host; where libvirt cannot say (the test driver), every known type, marked supported."""
    xml = libvirt_storage.pool_capabilities_xml(host)
    if xml is None:
        return [PoolType(type=name, supported=True, source_fields=list(spec["source"]), target=spec["target"])
                for name, spec in TYPE_FIELDS.items()]
    return parse_capabilities(xml)


def check_type(host, pool_type):
    """PoolError unless host's libvirt supports pool_type (naming the types it does support)."""
    types = pool_types(host)
    supported = [t.type for t in types if t.supported]
    if pool_type not in supported:
        raise PoolError(format_lazy(_("Host '{host}' does not support '{type}' pools: it supports {supported}."),
                                    host=host, type=pool_type, supported=", ".join(supported)),
                        fields={"type": [format_lazy(_("Not supported on this host: {type}."), type=pool_type)]})
