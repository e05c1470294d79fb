"""API v1: migrating a domain to another host (a job), and switching a running migration to post-copy."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from domains.access.lookups import client_address
from domains.access.permission_names import AUTHENTICATED
from domains.access.permissions import route_permission
from domains.api.views import DomainScopedView
from domains.errors import ConsoleError
from domains.hosts.models import Host
from domains.jobs.serializers import JobSerializer
from domains.jobs.visibility import visible_job
from domains.migration.actions import PERMISSION, MigrationOptions, do_migrate, do_switch_to_postcopy
from domains.migration.serializers import MigrationSerializer


@route_permission(PERMISSION, note="on the domain; write and start on the destination host")
class DomainMigrate(DomainScopedView):
    serializer_class = MigrationSerializer

    @extend_schema(request=MigrationSerializer, responses={202: JobSerializer},
                   summary="Move the domain to another host (a job: progress, cancel, post-copy switch)")
    def post(self, request, uuid):
        domain = self.get_object(PERMISSION)
        body = dict(self.valid_body())
        destination = Host.objects.filter(pk=body.pop("destination")).first()
        if destination is None:
            raise ConsoleError(_("There is no such destination host: pick one GET /api/v1/hosts lists."),
                               code="no_host", status=404, fields={"destination": [_("No such host.")]})
        job = do_migrate(request.user, domain, destination, MigrationOptions(**body), self.source_address)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


@route_permission(AUTHENTICATED, note="migrate on the migrated domain; a job the caller may not see answers 404")
class JobPostcopy(GenericAPIView):
    serializer_class = JobSerializer

    @extend_schema(request=None, responses={202: JobSerializer},
                   summary="Switch a running migration (started with postcopy) to post-copy")
    def post(self, request, job_id):
        job = do_switch_to_postcopy(request.user, visible_job(request.user, job_id), client_address(request))
        return Response(self.get_serializer(job).data, status=status.HTTP_202_ACCEPTED)
