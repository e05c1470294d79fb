"""Sizes as people read them, in binary units as libvirt counts them: "256 MiB", "1.5 GiB", never "268.4 MB".

The one home of this: views call binary_size(), templates the binary_units filters (console/templatetags), which
call it. The number and its unit are joined by a no-break space so that a size is never broken over two lines.
"""

from django.utils.formats import number_format
from django.utils.translation import pgettext_lazy

BINARY_UNITS = [pgettext_lazy("size unit", "B"), pgettext_lazy("size unit", "KiB"), pgettext_lazy("size unit", "MiB"),
                pgettext_lazy("size unit", "GiB"), pgettext_lazy("size unit", "TiB"), pgettext_lazy("size unit", "PiB")]


def binary_size(size_bytes):
    """Bytes in the largest unit that keeps the number at 1 or more: 268435456 -> '256 MiB', 1610612736 -> '1.5 GiB'
    (whole numbers without decimals, the rest with one); an unknown size (None, "") is a dash."""
    if size_bytes is None or size_bytes == "":
        return "—"
    value, unit = float(size_bytes), 0
    while abs(value) >= 1024 and unit < len(BINARY_UNITS) - 1:
        value /= 1024
        unit += 1
    shown = round(value, 1)
    places = 0 if shown == int(shown) else 1
    return f"{number_format(shown, places)}\u00a0{BINARY_UNITS[unit]}"


def binary_size_kib(kib):
    """A size libvirt gives in KiB (memory) in binary units: 262144 -> '256 MiB'."""
    if kib is None or kib == "":
        return "—"
    return binary_size(int(kib) * 1024)
