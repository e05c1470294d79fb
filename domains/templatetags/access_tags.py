"""{% may "permission" target as name %}: templates show only what the user may do, asking the one check function."""

from django import template

from domains.access import permissions

register = template.Library()


@register.simple_tag(takes_context=True)
def may(context, permission, target=None):
    """Whether the request's user holds permission on target (a Domain, a Host, or nothing for everywhere)."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return permissions.has_perm(user, permission, target)


@register.simple_tag(takes_context=True)
def may_somewhere(context, permission):
    """Whether the request's user holds permission on at least one domain, host, pool or network."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return permissions.has_perm_somewhere(user, permission)
