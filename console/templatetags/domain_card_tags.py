"""The domain page's cards as template tags, so the lifecycle page includes each without knowing its parts."""

from django import template

from console.backups.card import backups_card
from console.interfaces.card import interfaces_card
from console.migration.card import migrate_card
from console.snapshots.card import snapshots_card

register = template.Library()


def _card(context, card):
    return {**card, "request": context["request"], "csrf_token": context.get("csrf_token")}


def _running(facts):
    """Whether the domain runs, from the page's facts (None when its host did not answer)."""
    return bool(facts and facts.active)


@register.inclusion_tag("interfaces/_card.html", takes_context=True)
def interfaces_card_of(context, domain, facts):
    """A refused add form's values come back in the page's interface_form and interface_errors."""
    user = context["request"].user
    return _card(context, interfaces_card(user, domain, _running(facts), context.get("interface_form"),
                                          context.get("interface_errors")))


@register.inclusion_tag("snapshots/_card.html", takes_context=True)
def snapshots_card_of(context, domain, facts):
    """A refused take form's values come back in the page's snapshot_form and snapshot_errors."""
    card = snapshots_card(context["request"].user, domain, _running(facts))
    return _card(context, {**card, "form": context.get("snapshot_form") or {},
                           "errors": context.get("snapshot_errors") or {}})


@register.inclusion_tag("migration/_card.html", takes_context=True)
def migrate_card_of(context, domain, facts):
    return _card(context, migrate_card(context["request"].user, domain, _running(facts)))


@register.inclusion_tag("backups/_card.html", takes_context=True)
def backups_card_of(context, domain, facts):
    """A refused restore form's values come back in the page's restore_form (with its backup) and restore_errors."""
    card = backups_card(context["request"].user, domain, _running(facts))
    return _card(context, {**card, "restore_form": context.get("restore_form") or {},
                           "restore_errors": context.get("restore_errors") or {}})
