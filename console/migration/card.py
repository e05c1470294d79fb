"""What the domain page's Migrate card shows a user: the hosts the domain may move to, and a migration under way."""

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
            "active_job": active}
