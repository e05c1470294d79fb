"""Template filters of the host-side pages (pools, volumes, ISOs, networks, jobs): sizes in binary units, shares."""

import json

from django import template
from django.utils.translation import gettext

register = template.Library()

UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def binary_size_text(amount):
    """A number of bytes as people read it, in binary units: 1536 → "1.5 KiB", 64 MiB → "64.0 MiB" (no-break space)."""
    value, unit = float(amount), 0
    while abs(value) >= 1024 and unit < len(UNITS) - 1:
        value /= 1024
        unit += 1
    return f"{int(value)}\xa0{UNITS[0]}" if unit == 0 else f"{value:.1f}\xa0{UNITS[unit]}"  # never broken apart


@register.filter
def binary_size(amount):
    """Bytes in KiB/MiB/GiB (libvirt's capacity, allocation, a medium's size); an unknown size is a dash."""
    if amount in (None, ""):
        return "—"
    try:
        return binary_size_text(int(amount))
    except (TypeError, ValueError):
        return amount


@register.filter
def share(part, whole):
    """part of whole in whole percent (0–100) for a progress bar; 0 when whole is unknown or empty."""
    try:
        part, whole = float(part or 0), float(whole or 0)
    except (TypeError, ValueError):
        return 0
    if whole <= 0:
        return 0
    return max(0, min(100, round(100 * part / whole)))


@register.simple_tag
def yes_no(value):
    """A flag in words."""
    return gettext("yes") if value else gettext("no")


@register.simple_tag
def json_list(*items):
    """A JSON list of texts for data-confirm-details: {% json_list _("one") _("two") as details %}, then
    data-confirm-details="{{ details }}" (autoescaped, so a translation with quotes cannot break the attribute)."""
    return json.dumps([str(item) for item in items if item])


@register.filter
def words(text):
    """"a b c" → ["a", "b", "c"]: a fixed list written in a template."""
    return str(text).split()
