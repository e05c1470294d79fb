"""Domain states in the words people use ("Shut off", not "shutoff"); libvirt's own word stays as the detail."""

from django.utils.translation import gettext_lazy as _

STATE_WORDS = {
    "running": _("Running"),
    "blocked": _("Blocked"),
    "paused": _("Paused"),
    "shutdown": _("Shutting down"),
    "shutoff": _("Shut off"),
    "crashed": _("Crashed"),
    "pmsuspended": _("Suspended"),
    "nostate": _("No state"),
    "unknown": _("Unknown"),  # the host did not answer: the console cannot tell
    "gone": _("Undefined"),  # undefined in libvirt; the row stays for its grants and history
}


def state_word(state):
    """The plain word for a libvirt state word (or the console's gone/unknown); an unknown one as it is."""
    return STATE_WORDS.get(state, state)
