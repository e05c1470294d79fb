"""The domain page's Backups card as a template tag, so the lifecycle page includes it without knowing its parts."""

from django import template

from console.backups.card import backups_card

register = template.Library()


@register.inclusion_tag("backups/_card.html", takes_context=True)
def backups_card_of(context, domain, facts):
    """The card for domain (facts: the page's, to know whether it runs)."""
    request = context["request"]
    card = backups_card(request.user, domain, bool(facts and facts.active))
    return {**card, "request": request, "csrf_token": context.get("csrf_token")}
