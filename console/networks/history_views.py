"""A network page's History section: its revisions, the diff of two, and the rollback button's view."""

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from console.networks.lookups import network_for_page
from console.page_actions import perform
from domains.access import permissions
from domains.access.lookups import client_address
from domains.errors import ConsoleError
from domains.networks.actions import do_rollback_network, ensure_first_revision
from domains.networks.definition import NetworkError
from domains.networks.revisions_api import rollback_message


def history_context(request, row, handle):
    """What the History section shows: revisions newest first, the pair asked for (?from=&to=) and its diff."""
    problem = None
    try:
        ensure_first_revision(row, handle)
    except ConsoleError as exc:  # libvirt unreachable just now: the stored revisions are still worth showing
        problem = exc.message
    revisions = list(row.revisions.newest_first())
    by_number = {revision.number: revision for revision in revisions}
    old_n, new_n = request.GET.get("from", ""), request.GET.get("to", "")
    pair = diff = None
    if old_n.isdigit() and new_n.isdigit() and int(old_n) in by_number and int(new_n) in by_number:
        pair = (by_number[int(old_n)], by_number[int(new_n)])
        diff = pair[0].diff_lines(pair[1])
    return {"revisions": revisions, "pair": pair, "diff": diff, "history_problem": problem,
            "may_roll_back": permissions.has_perm(request.user, "network.write", row)}


@permissions.route_permission("network.write", note="on the network's host, like an XML edit")
@require_POST
def network_rollback(request, host_id, name, number):
    row, handle = network_for_page(request, host_id, name, "network.write")

    def rollback():
        ensure_first_revision(row, handle)
        old = row.revisions.numbered(number)
        if old is None:
            raise NetworkError(gettext("Network '%(name)s' has no revision %(number)s: pick one from its history.")
                               % {"name": row.name, "number": number})
        _, revision, running = do_rollback_network(request.user, row, handle, old, request.POST.get("reason", ""),
                                                   source_address=client_address(request))
        return rollback_message(row, old, revision, running)

    perform(request, rollback, lambda message: message,
            failed=gettext("Rollback to revision %(number)s refused: ") % {"number": number})
    return redirect(reverse("network-detail", args=[host_id, name]) + "#history")
