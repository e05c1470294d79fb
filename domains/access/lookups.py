"""The one way to find a domain or host for a user, and a Domain row's libvirt handle: every view and action uses these."""

from django.http import Http404

from domains.access import permissions
from domains.hosts.models import Host
from domains.libvirt import adapter
from domains.lifecycle.models import Domain

# The URL key that names a row of each model.
LOOKUP_FIELDS = {Domain: "uuid", Host: "pk"}


def client_address(request):
    return request.META.get("REMOTE_ADDR")


def seen_by(user, model, seen_through=("getattr",)):
    """The rows of model (Domain or Host) user may see: those on which they hold any of seen_through."""
    rows = model.objects.all()
    seen = permissions.restrict(rows, user, seen_through[0])
    for other in seen_through[1:]:
        seen = seen | permissions.restrict(rows, user, other)
    return seen


def visible(user, model, key, permission="getattr", seen_through=("getattr",)):
    """The Domain (by uuid) or Host (by id) that user may see, checked for permission.

    Http404 when there is no such row or user holds none of seen_through on it (a hidden object is
    answered as a missing one); permissions.PermissionDenied naming permission when it is visible but
    permission is not held. seen_through widens what counts as seeing it: daemon_read alone shows a
    host's daemon.
    """
    visible_rows = seen_by(user, model, seen_through).filter(**{LOOKUP_FIELDS[model]: key})
    if model is Domain:
        # A UUID re-defined after the console marked its first row gone has two rows: the live one wins.
        visible_rows = visible_rows.select_related("host").order_by("gone")
    found = visible_rows.first()
    if found is None:
        raise Http404(f"No such {model._meta.verbose_name}, or you may not see it.")
    if not permissions.has_perm(user, permission, found):
        raise permissions.PermissionDenied(permission, found)
    return found


def libvirt_domain(domain):
    """The libvirt virDomain of a Domain row, through the adapter; VirtError if its host or the domain is not there."""
    return adapter.lookup_domain(domain.host, domain.uuid, domain.name)
