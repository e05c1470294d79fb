"""Domain states in the words people use ("Shut off", not "shutoff"), and libvirt's reasons for them ("forced off"
for "destroyed"); libvirt's own word stays as the detail. The one table of them: the overview, the domain page, the
bulk actions' answers and live.js (domain_states' state_words_json) all say states with it."""

from django.utils.translation import gettext_lazy as _

STATE_WORDS = {
    "running": _("Running"),
    "blocked": _("Running (idle)"),  # libvirt: blocked on a resource, in practice a guest with nothing to do
    "paused": _("Paused"),
    "shutdown": _("Shutting down"),
    "shutoff": _("Shut off"),
    "crashed": _("Crashed"),
    "pmsuspended": _("Suspended by the guest"),
    "nostate": _("No state"),
    "unknown": _("Unknown"),  # the host did not answer: the console cannot tell
    "gone": _("Undefined"),  # undefined in libvirt; the row stays for its grants and history
}

# libvirt's reasons (domains/lifecycle/states.py REASONS); "unknown" says nothing and is left out.
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


def state_word(state):
    """The plain word for a libvirt state word (or the console's gone/unknown); an unknown one as it is."""
    return STATE_WORDS.get(state, state)


def reason_word(reason):
    """libvirt's reason in words, or "" when it says nothing ("unknown", empty); an unknown one as it is."""
    if not reason or reason == "unknown":
        return ""
    return REASON_WORDS.get(reason, reason)
