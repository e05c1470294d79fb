"""A domain's state as people read it ("Shut off"), with libvirt's word and reason as the detail: the state pill,
the state_word and reason_word filters, and the words live.js says states with (domains/lifecycle/state_words.py)."""

from django import template
from django.utils.html import format_html, json_script
from django.utils.translation import gettext as _

from domains.lifecycle import state_words

register = template.Library()


@register.filter
def state_word(state):
    """{{ facts.state|state_word }}: 'shutoff' -> 'Shut off'."""
    return state_words.state_word(state)


@register.filter
def reason_word(reason):
    """{{ facts.reason|reason_word }}: libvirt's reason in words, empty when it says nothing."""
    return state_words.reason_word(reason)


@register.simple_tag
def state_badge(state, reason=""):
    """The state pill (data-field=state, data-state=libvirt's word: live.js changes both) and the reason beside it,
    both in words as the domain page says them; libvirt's own words are the title."""
    said = reason if reason and reason != "unknown" else ""
    title = _("libvirt: %(state)s (%(reason)s)") % {"state": state, "reason": said} if said else \
        _("libvirt: %(state)s") % {"state": state}
    return format_html(
        '<span class="state state-{state}" data-field="state" data-state="{state}" title="{title}">{word}</span>'
        ' <small class="text-body-secondary" data-field="state-reason">{detail}</small>',
        state=state, title=title, word=state_words.state_word(state), detail=state_words.reason_word(reason))


@register.simple_tag
def state_words_json():
    """The state words for live.js (id vc-state-words), so that a state changed live reads as the page's do."""
    return json_script({state: str(word) for state, word in state_words.STATE_WORDS.items()}, "vc-state-words")


@register.simple_tag
def live_words_json():
    """The words live.js shows of its own (id vc-live-words): the live-updates banner and host health."""
    return json_script({
        "signed_out": _("Signed out: live updates stopped. Sign in again to resume them."),
        "reconnecting": _("Live updates paused: reconnecting to the console server…"),
        "health": {"connected": _("Connected"), "reconnecting": _("Reconnecting"), "failed": _("Unreachable"),
                   "disconnected": _("Not connected")},
        # After a rate in the live graphs' captions: "12 KiB/s read · 0 B/s written".
        "rates": {"read": _("read"), "written": _("written"), "received": _("received"), "sent": _("sent")},
    }, "vc-live-words")
