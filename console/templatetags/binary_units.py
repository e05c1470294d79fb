"""{{ size|binary_bytes }} and {{ memory_kib|binary_kib }}: sizes in binary units ("256 MiB"), by console/units.py."""

from django import template

from console import units

register = template.Library()


@register.filter
def binary_bytes(size_bytes):
    """A size in bytes (a volume's capacity, a backup, a job's progress)."""
    return units.binary_size(size_bytes)


@register.filter
def binary_kib(kib):
    """A size libvirt gives in KiB (memory)."""
    return units.binary_size_kib(kib)
