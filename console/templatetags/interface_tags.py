"""The domain page's Interfaces card as a template tag, so the lifecycle page includes it without knowing its parts."""

from django import template

from console.interfaces.card import interfaces_card

register = template.Library()


@register.inclusion_tag("interfaces/_card.html", takes_context=True)
def interfaces_card_of(context, domain, facts):
    """The card for domain (facts: the page's, to know whether it runs); a refused add form's values come back in
    the page's interface_form and interface_errors."""
    request = context["request"]
    card = interfaces_card(request.user, domain, bool(facts and facts.active), context.get("interface_form"),
                           context.get("interface_errors"))
    return {**card, "request": request, "csrf_token": context.get("csrf_token")}
