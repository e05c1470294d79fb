"""The Backups card of the domain's Snapshots page: its body re-read in place, and its forms (back up, restore,
delete)."""

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from console.backups.card import backups_card
from console.domain_cards import card_body
from console.page_actions import perform
from console.snapshots.views import render_snapshots_page
from domains.access import permissions
from domains.access.lookups import client_address, visible
from domains.backups.actions import do_create_backup, do_delete_backup
from domains.backups.restore import do_restore_backup
from domains.lifecycle.models import Domain

route_permission = permissions.route_permission


def _card_url(domain):
    return reverse("domain-snapshots", args=[domain.uuid]) + "#backups"


def _started(what):
    return lambda job: _("%(what)s (job %(job)s); the Backups card shows it when it is done.") % {
        "what": what, "job": job.pk}


@route_permission("read", note="on the domain")
@require_GET
def backup_card_body(request, uuid):
    """The card's body alone, read again while a backup job runs: the page swaps it in without a reload."""
    return card_body(request, uuid, "backups/_body.html", backups_card)


@route_permission(("checkpoint", "block_read"), note="both on the domain, and storage_vol.create on the pool")
@require_POST
def backup_create(request, uuid):
    domain = visible(request.user, Domain, uuid, "read")
    kind = request.POST.get("kind") or "full"
    what = _("Taking an incremental backup") if kind == "incremental" else _("Taking a full backup")
    perform(request, lambda: do_create_backup(request.user, domain, kind, request.POST.get("pool", ""),
                                              client_address(request)),
            _started(what), failed=_("No backup taken: "))
    return redirect(_card_url(domain))


@route_permission(("write", "define_domains"), note="write on the domain (over it) or define_domains on its host "
                                                    "(a new domain), and storage_vol.create on the pool")
@require_POST
def backup_restore(request, uuid, backup_id):
    domain = visible(request.user, Domain, uuid, "read")
    mode = request.POST.get("mode") or "new"
    errors = {}

    def restore():
        return do_restore_backup(request.user, domain, backup_id, mode, request.POST.get("pool", ""),
                                 request.POST.get("name", "").strip(), client_address(request))

    if perform(request, restore, _started(_("Restoring backup %(backup)s") % {"backup": backup_id}),
               failed=_("Not restored: "), errors=errors):
        return redirect(_card_url(domain))
    # Refused: the page again, that backup's restore form open with what was typed and the field at fault.
    return render_snapshots_page(request, domain, status=400,
                                 restore_form={**request.POST.dict(), "backup": backup_id}, restore_errors=errors)


@route_permission("checkpoint", note="on the domain, and storage_vol.delete on the backup's pools")
@require_POST
def backup_delete(request, uuid, backup_id):
    domain = visible(request.user, Domain, uuid, "read")
    chain = request.POST.get("chain") == "on"
    perform(request, lambda: do_delete_backup(request.user, domain, backup_id, chain, client_address(request)),
            lambda deleted: _("Deleted backup(s) %(backups)s.") % {"backups": ", ".join(str(one) for one in deleted)},
            failed=_("Not deleted: "))
    return redirect(_card_url(domain))
