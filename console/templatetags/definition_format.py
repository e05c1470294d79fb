"""Template helpers of the definition pages: memory in binary units (KiB, MiB, GiB), the confirmations' lines."""

import json

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def binary_size_kib(kib):
    """libvirt's KiB as people read them: '512 MiB', '1.5 GiB', never the decimal '536.9 MB'."""
    if kib in (None, ""):
        return "—"
    kib = int(kib)
    for unit, size in (("TiB", 1 << 30), ("GiB", 1 << 20), ("MiB", 1 << 10)):
        if kib >= size:
            amount = kib / size
            places = 0 if kib % size == 0 else 1
            return f"{number_format(amount, places)} {unit}"
    return f"{kib} KiB"


@register.simple_tag
def json_lines(*lines):
    """The lines as a JSON list for data-confirm-details (escaped by the template like any text)."""
    return json.dumps([str(line) for line in lines if line])


@register.filter
def words(text):
    """'qcow2 raw iso' -> ['qcow2', 'raw', 'iso']: a short fixed list of choices written in the template."""
    return str(text).split()
