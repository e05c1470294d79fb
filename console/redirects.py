"""Where a page sends its user next: a target taken from the request only if it stays on this site."""

from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def redirect_back(request, default, *args, **kwargs):
    """Redirect to the request's "next" (POST, then GET) if it points at this site; else to default (a URL name)."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return redirect(target)
    return redirect(default, *args, **kwargs)
