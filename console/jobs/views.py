"""The jobs page: the user's visible jobs with their progress, and cancelling one."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from domains.access.lookups import client_address
from domains.access.permission_names import AUTHENTICATED
from domains.access.permissions import PermissionDenied, route_permission
from domains.errors import ConsoleError
from domains.jobs.actions import do_cancel_job
from domains.jobs.heartbeat import mark_stale_jobs_interrupted
from domains.jobs.visibility import may_cancel, visible_job, visible_jobs

JOBS_PAGE_SIZE = 50


@route_permission(AUTHENTICATED, note="shows the user's own jobs and those on what they may see")
@require_GET
def job_list(request):
    mark_stale_jobs_interrupted()
    page = Paginator(visible_jobs(request.user).select_related("host").order_by("-id"),
                     JOBS_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(job, job.active and job.cancellable and may_cancel(request.user, job)) for job in page]
    return render(request, "jobs/list.html", {"page": page, "rows": rows})


@route_permission(AUTHENTICATED, note="the job's own user, a superuser, or a holder of more than viewing on its host")
@require_POST
def job_cancel(request, job_id):
    try:
        job = do_cancel_job(request.user, visible_job(request.user, job_id), client_address(request))
    except PermissionDenied as refusal:
        messages.error(request, str(refusal))
    except ConsoleError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Asked job %(number)s (%(kind)s) to stop; it ends as soon as its work notices.")
                         % {"number": job.pk, "kind": job.kind})
    return redirect("job-list")
