"""Sizes in binary units (KiB, MiB, GiB, TiB), as libvirt counts them: "256 MiB", never "256.0 MB"."""

from django import template
from django.utils.formats import number_format

register = template.Library()

UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]


@register.filter
def binary_bytes(value):
    """A size in bytes, in the largest binary unit that keeps it at 1 or more: one decimal at most, none when whole."""
    if value is None or value == "":
        return "—"
    size = float(value)
    unit = 0
    while abs(size) >= 1024 and unit < len(UNITS) - 1:
        size /= 1024
        unit += 1
    shown = round(size, 1)
    decimals = 0 if shown == int(shown) else 1
    return f"{number_format(shown, decimals)}\u00a0{UNITS[unit]}"


@register.filter
def binary_kib(value):
    """A size libvirt gives in KiB (memory), in binary units."""
    if value is None or value == "":
        return "—"
    return binary_bytes(int(value) * 1024)
