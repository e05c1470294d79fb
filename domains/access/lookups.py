"""Small helpers shared by the site's views."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from domains.access import permissions
from domains.hosts.models import Host
from domains.lifecycle.models import Domain


def client_address(request):
    return request.META.get("REMOTE_ADDR")


def visible_domain(user, uuid, permission="getattr"):
    """The Domain with uuid that user may see (404 otherwise), checked for permission (403)."""
    domain = (
        permissions.restrict(Domain.objects.select_related("host"), user, "getattr")
        .filter(uuid=uuid)
        .order_by("gone")
        .first()
    )
    if domain is None:
        raise Http404("No such domain.")
    permissions.require(user, permission, domain)
    return domain


def visible_host(user, host_id, permission="getattr"):

    host = get_object_or_404(permissions.restrict(Host.objects.all(), user, "getattr"), pk=host_id)
    permissions.require(user, permission, host)
    return host
