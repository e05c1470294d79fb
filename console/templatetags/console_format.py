"""Template helpers every page may use: the confirmation dialog's lines, short fixed lists, lists of values, shares.

Sizes have their own library (binary_units), domain states theirs (domain_states).
"""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from console.confirm import confirm_details as confirm_details_json

register = template.Library()


@register.simple_tag
def confirm_details(*lines):
    """{% confirm_details _("one") _("two") as details %}, then data-confirm-details="{{ details }}"."""
    return confirm_details_json(lines)


@register.filter
def words(text):
    """"qcow2 raw iso" → ["qcow2", "raw", "iso"]: a short fixed list of choices written in a template."""
    return str(text).split()


@register.filter
def listed(value):
    """A definition's value as text: a list (a pool's source devices) joined with commas."""
    return ", ".join(str(item) for item in value) if isinstance(value, (list, tuple)) else value


@register.filter
def breaks_after_slashes(text):
    """A path-like label ("pool/volume.iso") that a narrow column breaks after its slashes, not inside its names."""
    return mark_safe("/<wbr>".join(conditional_escape(part) for part in str(text).split("/")))


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
