"""What the domain page's cards share: the jobs a card follows, and its body served alone to be read again."""

from django.shortcuts import render

from domains.access.lookups import libvirt_domain, visible
from domains.errors import ConsoleError
from domains.jobs.models import Job
from domains.libvirt import adapter
from domains.lifecycle.models import Domain

ACTIVE = ("queued", "running")


def jobs_of(domain, kind_prefix):
    """(the domain's jobs of kinds starting with kind_prefix under way, the newest such job if it failed)."""
    jobs = Job.objects.filter(target_type="domain", target_id=str(domain.pk), kind__startswith=kind_prefix)
    newest = jobs.order_by("-pk").first()
    return list(jobs.filter(state__in=ACTIVE).order_by("pk")), newest if newest and newest.state == "failed" else None


def card_body(request, uuid, template, card):
    """The body of a card alone (template, filled by card(user, domain, running)) for a user who may read the
    domain: the page swaps it in without a reload. A host that does not answer shows the domain as not running."""
    domain = visible(request.user, Domain, uuid, "read")
    try:
        running = adapter.is_running(libvirt_domain(domain))
    except ConsoleError:
        running = False
    return render(request, template, card(request.user, domain, running))
