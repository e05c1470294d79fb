"""The pool or volume a storage page shows, found for its user."""

from django.http import Http404

from domains.errors import ConsoleError
from domains.storage.lookups import visible_pool
from domains.storage.volumes.actions import visible_volume


def pool_for_page(request, host_id, name, permission="storage_pool.getattr"):
    """(Pool row, handle) for a page; a host that cannot answer (the embedded one, an unreachable one) is a 404
    saying why, not a 500."""
    try:
        return visible_pool(request.user, host_id, name, permission)
    except ConsoleError as exc:
        raise Http404(str(exc.message)) from exc


def volume_for_page(request, host_id, name, volume):
    """(Pool row, pool handle, volume handle) for a volume's form; a host that cannot answer is a 404 saying why."""
    try:
        return visible_volume(request.user, host_id, name, volume)
    except ConsoleError as exc:
        raise Http404(str(exc.message)) from exc
