"""The running jobs a page's top bar counts (a template context processor)."""

from django.utils.functional import SimpleLazyObject

from domains.jobs.models import ACTIVE
from domains.jobs.visibility import visible_jobs

# The top bar counts; it does not list: past this many it shows "100+".
COUNTED = 100


def running_jobs(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"running_job_ids": SimpleLazyObject(
        lambda: list(visible_jobs(user).filter(state__in=ACTIVE).values_list("pk", flat=True)[:COUNTED]))}
