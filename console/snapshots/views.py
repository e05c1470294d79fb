"""The domain's Snapshots page (its Snapshots and Backups cards), the Snapshots card's body re-read in place, and its
forms (take, revert, delete), each a job."""

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from console.domain_cards import card_body
from console.lifecycle.views import facts_or_error
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
    return reverse("domain-snapshots", args=[domain.uuid]) + "#snapshots"


def _started(what):
    return lambda job: _("%(what)s (job %(job)s); the Snapshots card shows it when it is done.") % {
        "what": what, "job": job.pk}


@route_permission("read", note="on the domain")
@require_GET
def snapshots_page(request, uuid):
    return render_snapshots_page(request, visible(request.user, Domain, uuid, "read"))


def render_snapshots_page(request, domain, status=200, **extra):
    """The Snapshots page; a refused form renders it again with extra (what was typed, the fields at fault)."""
    facts, error = facts_or_error(domain)
    return render(request, "snapshots/page.html", {"domain": domain, "facts": facts, "error": error, **extra},
                  status=status)


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
    errors = {}

    def create():
        return do_create_snapshot(request.user, domain, name, request.POST.get("kind") or "internal",
                                  request.POST.get("description", "").strip(), RevisionSource.CONSOLE,
                                  client_address(request))

    if perform(request, create, _started(_("Taking snapshot '%(name)s'") % {"name": name}),
               failed=_("The snapshot was not taken: "), errors=errors):
        return redirect(_card_url(domain))
    # Refused: the page again, with what was typed and the field at fault.
    return render_snapshots_page(request, domain, status=400, snapshot_form=request.POST, snapshot_errors=errors)


@route_permission(PERMISSION, note="on the domain")
@require_POST
def snapshot_revert(request, uuid, name):
    domain = visible(request.user, Domain, uuid, PERMISSION)
    perform(request, lambda: do_revert_snapshot(request.user, domain, name, request.POST.get("state") or "snapshot",
                                                RevisionSource.CONSOLE, client_address(request)),
            _started(_("Reverting to snapshot '%(name)s'") % {"name": name}), failed=_("Not reverted: "))
    return redirect(_card_url(domain))


@route_permission(PERMISSION, note="on the domain")
@require_POST
def snapshot_delete(request, uuid, name):
    domain = visible(request.user, Domain, uuid, PERMISSION)
    children = request.POST.get("children") == "on"
    what = (_("Deleting snapshot '%(name)s' and those under it") if children
            else _("Deleting snapshot '%(name)s'")) % {"name": name}
    perform(request, lambda: do_delete_snapshot(request.user, domain, name, children, RevisionSource.CONSOLE,
                                                client_address(request)),
            _started(what), failed=_("Not deleted: "))
    return redirect(_card_url(domain))
