"""Which jobs a user may see and cancel: their own, those on targets they may see, those on hosts they hold."""

from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.http import Http404
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.access import permissions
from domains.jobs.models import Job
from domains.lifecycle.models import Domain
from domains.storage.models import Pool

# Permissions that only look: a host grant of nothing more does not let one stop others' work.
VIEWING = frozenset({"getattr", "read", "storage_pool.getattr", "storage_pool.read",
                     "storage_pool.search_storage_vols", "storage_vol.getattr", "storage_vol.read"})


def _domains_seen(user, held):
    return permissions.restrict(Domain.objects.all(), user).annotate(key=Cast("pk", CharField())).values("key")


def _hosts_seen(user, held):
    return [str(host_id) for host_id in held.hosts_holding("getattr")]


def _pools_seen(user, held):
    return (permissions.restrict(Pool.objects.all(), user, "storage_pool.getattr")
            .annotate(key=Cast("pk", CharField())).values("key"))


# target_type -> rule(user, held) giving the target ids (as text) of that type the user may see.
# A feature with targets of its own (volumes named "<pool id>/<name>", say) adds its rule with see_targets_through().
_rules = {"domain": _domains_seen, "host": _hosts_seen, "pool": _pools_seen}


def see_targets_through(target_type, rule):
    """Show the jobs on targets of target_type to whoever rule(user, held) says may see the target ids it returns."""
    _rules[target_type] = rule


def visible_jobs(user):
    """The jobs user may see: superusers all; others their own, those on targets they see, and their hosts' jobs."""
    jobs = Job.objects.all()
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return jobs.none()
    held = permissions.held_by(user)
    if held.everything:
        return jobs
    seen = Q(user_id=user.pk)
    if "getattr" in held.everywhere:
        seen |= Q(host__isnull=False)
    else:
        seen |= Q(host_id__in=held.hosts_holding("getattr"))
    for target_type, rule in _rules.items():
        seen |= Q(target_type=target_type, target_id__in=rule(user, held))
    return jobs.filter(seen)


def visible_job(user, job_id):
    """The job job_id if user may see it; Http404 (as for a missing one) if not."""
    job = visible_jobs(user).filter(pk=job_id).select_related("host").first()
    if job is None:
        # str: Django's 404 page shows a message only when it is one.
        raise Http404(str(_("No such job, or you may not see it.")))
    return job


def may_see(user, job):
    return visible_jobs(user).filter(pk=job.pk).exists()


def may_cancel(user, job):
    """The job's own user, a superuser, or someone holding more than viewing on the job's host."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser or (job.user_id is not None and job.user_id == user.pk):
        return True
    if job.host_id is None:
        return False
    return bool(permissions.held_by(user).on_host(job.host_id) - VIEWING)


class CancelRefused(permissions.PermissionDenied):
    """A visible job the user may not cancel."""

    def __init__(self, job):
        super().__init__("cancel_job", job)
        self.args = (format_lazy(_("Only the user who started job {id}, an administrator, or someone with a grant on "
                                   "its host beyond viewing may cancel it. Ask one of them."), id=job.pk),)

    def __str__(self):
        return str(self.args[0])
