"""Template filters for the sizes libvirt reports."""

from django import template
from django.template.defaultfilters import filesizeformat

register = template.Library()


@register.filter
def filesizeformat_kib(kib):
    """libvirt counts memory in KiB; show it the way people read sizes."""
    return filesizeformat(int(kib) * 1024) if kib is not None else "—"
