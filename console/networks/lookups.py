"""The network a network page shows, found for its user."""

from django.http import Http404

from domains.errors import ConsoleError
from domains.networks.lookups import visible_network


def network_for_page(request, host_id, name, permission="network.getattr"):
    """(Network row, handle) for a page; a host that cannot answer (the embedded one, an unreachable one) is a 404
    saying why, not a 500."""
    try:
        return visible_network(request.user, host_id, name, permission)
    except ConsoleError as exc:
        raise Http404(str(exc.message)) from exc
