"""The clone part of the libvirt adapter: the source's definition to copy and the volume facts a clone plan needs."""

import libvirt
from lxml import etree

from domains.libvirt.adapter import translated_errors

INACTIVE = libvirt.VIR_DOMAIN_XML_INACTIVE
INACTIVE_SECURE = libvirt.VIR_DOMAIN_XML_INACTIVE | libvirt.VIR_DOMAIN_XML_SECURE


def source_definition(dom, secure=False):
    """The domain's persistent definition, the one a clone copies; with its secrets only when secure."""
    with translated_errors():
        return dom.XMLDesc(INACTIVE_SECURE if secure else INACTIVE)


def volume_format(vol):
    """The volume's format (raw, qcow2, ...) from its XML, or None where it has none."""
    with translated_errors():
        root = etree.fromstring(vol.XMLDesc(0).encode())
    return root.xpath("string(target/format/@type)") or None


def volume_is_block(vol):
    """Whether the volume is a block device (a logical or disk pool's), not a file."""
    with translated_errors():
        return vol.info()[0] == libvirt.VIR_STORAGE_VOL_BLOCK
