"""{{ text|said }}: words the console wrote and keeps in its own language (a revision's reason it gave, a built-in
role's description), said in the reader's. Where they are written they are marked with gettext_noop, so the
catalogue has them; any other text (a reason a person typed) is shown as it is."""

from django import template
from django.utils.translation import gettext

register = template.Library()


@register.filter
def said(text):
    return gettext(text) if text else text
