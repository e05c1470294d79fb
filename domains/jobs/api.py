"""API v1: the jobs a user may see, one job, and cancelling one."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from domains.access.lookups import client_address
from domains.access.permission_names import AUTHENTICATED
from domains.access.permissions import route_permission
from domains.errors import ConsoleError
from domains.jobs.actions import do_cancel_job
from domains.jobs.heartbeat import mark_stale_jobs_interrupted
from domains.jobs.models import STATES
from domains.jobs.serializers import JobSerializer
from domains.jobs.visibility import visible_job, visible_jobs


@route_permission(AUTHENTICATED, note="lists only the caller's own jobs and those on what they may see")
class JobList(GenericAPIView):
    serializer_class = JobSerializer

    @extend_schema(responses=JobSerializer(many=True), parameters=[
        OpenApiParameter("state", str, description="queued, running, succeeded, failed, cancelled or interrupted"),
        OpenApiParameter("kind", str, description="Kind or its prefix, e.g. 'volume.' or 'volume.upload'"),
    ])
    def get(self, request):
        mark_stale_jobs_interrupted()
        jobs = visible_jobs(request.user)
        state = request.query_params.get("state")
        if state:
            if state not in STATES:
                choices = ", ".join(STATES)
                raise ConsoleError(format_lazy(_("state={state} is not a job state: use one of {choices}."),
                                               state=repr(state), choices=choices),
                                   code="invalid", fields={"state": [format_lazy(_("One of {choices}."),
                                                                                 choices=choices)]})
            jobs = jobs.filter(state=state)
        kind = request.query_params.get("kind")
        if kind:
            # No kind holds a NUL character, and PostgreSQL refuses to compare one at all (a 500).
            jobs = jobs.filter(kind__startswith=kind) if "\x00" not in kind else jobs.none()
        page = self.paginate_queryset(jobs.order_by("-id"))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@route_permission(AUTHENTICATED, note="a job the caller may not see answers 404")
class JobDetail(GenericAPIView):
    serializer_class = JobSerializer

    def get(self, request, job_id):
        mark_stale_jobs_interrupted()
        return Response(self.get_serializer(visible_job(request.user, job_id)).data)


@route_permission(AUTHENTICATED, note="the job's own user, a superuser, or a holder of more than viewing on its "
                                      "host; others 403, and 404 for a job they may not see")
class JobCancel(GenericAPIView):
    serializer_class = JobSerializer

    @extend_schema(request=None, responses={202: JobSerializer})
    def post(self, request, job_id):
        job = do_cancel_job(request.user, visible_job(request.user, job_id), client_address(request))
        return Response(self.get_serializer(job).data, status=202)
