"""The domain page's Snapshots card: its body re-read in place, and its forms (take, revert, delete), each a job."""

from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from console.domain_cards import card_body
from console.page_actions import perform
from console.snapshots.card import snapshots_card
from domains.access import permissions
from domains.access.lookups import client_address, visible
from domains.definitions.models import RevisionSource
from domains.lifecycle.models import Domain
from domains.snapshots.actions import (
    PERMISSION,
    do_create_snapshot,
    do_delete_snapshot,
    do_revert_snapshot,
)

route_permission = permissions.route_permission


def _card_url(domain):
    return reverse("domain-detail", args=[domain.uuid]) + "#snapshots"


def _started(what):
    return lambda job: f"{what} (job {job.pk}); the Snapshots card shows it when it is done."


@route_permission("read", note="on the domain")
@require_GET
def snapshot_card_body(request, uuid):
    """The card's body alone, read again while a snapshot job runs: the page swaps it in without a reload."""
    return card_body(request, uuid, "snapshots/_body.html", snapshots_card)


@route_permission(PERMISSION, note="on the domain")
@require_POST
def snapshot_create(request, uuid):
    domain = visible(request.user, Domain, uuid, PERMISSION)
    name = request.POST.get("name", "").strip()
    perform(request, lambda: do_create_snapshot(request.user, domain, name, request.POST.get("kind") or "internal",
                                                request.POST.get("description", "").strip(), RevisionSource.CONSOLE,
                                                client_address(request)),
            _started(f"Taking snapshot '{name}'"), failed="The snapshot was not taken: ")
    return redirect(_card_url(domain))


@route_permission(PERMISSION, note="on the domain")
@require_POST
def snapshot_revert(request, uuid, name):
    domain = visible(request.user, Domain, uuid, PERMISSION)
    perform(request, lambda: do_revert_snapshot(request.user, domain, name, request.POST.get("state") or "snapshot",
                                                RevisionSource.CONSOLE, client_address(request)),
            _started(f"Reverting to snapshot '{name}'"), failed="Not reverted: ")
    return redirect(_card_url(domain))


@route_permission(PERMISSION, note="on the domain")
@require_POST
def snapshot_delete(request, uuid, name):
    domain = visible(request.user, Domain, uuid, PERMISSION)
    children = request.POST.get("children") == "on"
    perform(request, lambda: do_delete_snapshot(request.user, domain, name, children, RevisionSource.CONSOLE,
                                                client_address(request)),
            _started(f"Deleting snapshot '{name}'{' and those under it' if children else ''}"),
            failed="Not deleted: ")
    return redirect(_card_url(domain))
