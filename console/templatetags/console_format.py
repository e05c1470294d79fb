"""Template filters for what libvirt reports: sizes, and values that may be lists."""

from django import template
from django.template.defaultfilters import filesizeformat

register = template.Library()


@register.filter
def filesizeformat_kib(kib):
    """libvirt counts memory in KiB; show it the way people read sizes."""
    return filesizeformat(int(kib) * 1024) if kib is not None else "—"


@register.filter
def listed(value):
    """A definition's value as text: a list (a pool's source devices) joined with commas."""
    return ", ".join(str(item) for item in value) if isinstance(value, (list, tuple)) else value
