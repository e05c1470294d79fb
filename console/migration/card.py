"""What the domain page's Migrate card shows a user: the hosts the domain may move to, and a migration under way."""

from django.utils.translation import gettext as _

from console.confirm import confirm_details
from domains.access import permissions
from domains.hosts.models import Host
from domains.jobs.models import Job
from domains.migration.actions import ACTION, DESTINATION_PERMISSIONS, PERMISSION


def migrate_card(user, domain, running):
    """The card's context: may_migrate, the destinations (other hosts the user may define and start on), the
    domain's migration job under way (its id, for the page to follow) and whether it runs (live or offline)."""
    may_migrate = permissions.has_perm(user, PERMISSION, domain)
    destinations = []
    if may_migrate:
        destinations = [host for host in Host.objects.exclude(pk=domain.host_id).order_by("name")
                        if not host.embedded and all(permissions.has_perm(user, name, host)
                                                     for name in DESTINATION_PERMISSIONS)]
    active = Job.objects.filter(target_type="domain", target_id=str(domain.pk), kind=ACTION,
                                state__in=("queued", "running")).order_by("-pk").first()
    return {"domain": domain, "running": running, "may_migrate": may_migrate, "destinations": destinations,
            "active_job": active, "confirm_details": confirm_details(_confirm_details(running)), "words": words()}


def _confirm_details(running):
    """What the Migrate button's confirmation lists."""
    if running:
        return [_("The guest keeps running while its memory is copied, then pauses briefly as it moves over."),
                _("Its consoles close here and reopen on the destination."),
                _("The options ticked below apply: storage copied, definition kept or removed here.")]
    return [_("Its definition moves to the destination host (offline)."),
            _("The options ticked below apply: definition kept or removed here.")]


def words():
    """The words static/js/migration/migrate.js shows, in the page's language ({...} are filled in there)."""
    return {"starting": _("Checking host and starting…"), "migrating": _("Migrating…"),
            "cancelling": _("Cancelling…"), "moved": _("Moved to host {host}."),
            "downtime": _(" The guest paused for {ms} ms."),
            "cancelled": _("Cancelled: the guest stays on this host, as before."),
            "failed": _("The migration failed: {error}"),
            "interrupted": _("The migration was interrupted (the console restarted): {error}"), "answered": _("The console answered {status}."),
            "processed": _("Processed"), "remaining": _("Remaining"), "memory_remaining": _("Memory remaining"),
            "disk_remaining": _("Disk remaining"), "dirty_rate": _("Dirty rate"),
            "pages_per_second": _("{count} pages/s"), "expected_downtime": _("Expected downtime"),
            "milliseconds": _("{count} ms")}
