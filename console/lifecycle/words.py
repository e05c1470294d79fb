"""How the domain pages say libvirt's states, reasons and sizes to people: plain, translated words, binary units."""

from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# libvirt's state names (domains/lifecycle/states.py) as people say them.
STATE_WORDS = {
    "running": _("Running"),
    "blocked": _("Running (idle)"),
    "paused": _("Paused"),
    "shutdown": _("Shutting down"),
    "shutoff": _("Shut off"),
    "crashed": _("Crashed"),
    "pmsuspended": _("Suspended by the guest"),
    "nostate": _("No state"),
    "gone": _("Gone"),
}

# libvirt's reasons (the same module's REASONS); "unknown" says nothing and is left out.
REASON_WORDS = {
    "booted": _("booted"),
    "migrated": _("migrated"),
    "restored": _("restored from a saved state"),
    "from snapshot": _("from a snapshot"),
    "unpaused": _("resumed"),
    "migration canceled": _("migration cancelled"),
    "save canceled": _("save cancelled"),
    "wakeup": _("woken up"),
    "crashed": _("crashed"),
    "post-copy": _("post-copy migration"),
    "post-copy failed": _("post-copy migration failed"),
    "user": _("by a user"),
    "migration": _("while migrating"),
    "save": _("while saving"),
    "dump": _("while dumping"),
    "I/O error": _("a disk I/O error"),
    "watchdog": _("its watchdog fired"),
    "shutting down": _("shutting down"),
    "snapshot": _("while a snapshot is taken"),
    "starting up": _("starting up"),
    "api error": _("a libvirt API error"),
    "shutdown": _("shut down"),
    "destroyed": _("forced off"),
    "saved": _("saved"),
    "failed": _("failed to start"),
    "daemon": _("by the daemon"),
    "panicked": _("the guest panicked"),
}

BINARY_UNITS = [pgettext_lazy("size unit", "B"), pgettext_lazy("size unit", "KiB"), pgettext_lazy("size unit", "MiB"),
                pgettext_lazy("size unit", "GiB"), pgettext_lazy("size unit", "TiB"), pgettext_lazy("size unit", "PiB")]


def state_words(state):
    """'shutoff' -> 'Shut off'; a state this table does not know is shown as libvirt names it."""
    return STATE_WORDS.get(state, state)


def reason_words(reason):
    """libvirt's reason in words, or "" when it says nothing ("unknown", empty)."""
    if not reason or reason == "unknown":
        return ""
    return REASON_WORDS.get(reason, reason)


def binary_size(size_bytes):
    """A size in binary units, as people read them: 268435456 -> '256 MiB', 1610612736 -> '1.5 GiB'."""
    if size_bytes is None or size_bytes == "":
        return "—"
    value, unit = float(size_bytes), 0
    while abs(value) >= 1024 and unit < len(BINARY_UNITS) - 1:
        value /= 1024
        unit += 1
    # Whole numbers without decimals ("256 MiB"), the rest with one ("1.5 GiB").
    places = 0 if unit == 0 or value == int(value) else 1
    return f"{number_format(round(value, places), places)} {BINARY_UNITS[unit]}"
