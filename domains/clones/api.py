"""API v1: clone a domain (a job, answered 202)."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from domains.access.permissions import route_permission
from domains.api.views import DomainScopedView
from domains.clones.actions import PERMISSION, do_clone_domain
from domains.clones.serializers import CloneRequestSerializer
from domains.definitions.models import RevisionSource
from domains.jobs.serializers import JobSerializer


@route_permission(PERMISSION, note="on the domain; define_domains on its host (or on the host the clone goes to); "
                                   "storage_vol.create and data_write on the target pools, data_read on the source "
                                   "volumes' pools")
class DomainClone(DomainScopedView):
    serializer_class = CloneRequestSerializer

    @extend_schema(request=CloneRequestSerializer, responses={202: JobSerializer},
                   summary="Clone the domain (a job): new UUID, MACs and ports; disks copied, linked or shared")
    def post(self, request, uuid):
        domain = self.get_object(PERMISSION)
        body = self.valid_body()
        job = do_clone_domain(request.user, domain, body["name"], [dict(disk) for disk in body.get("disks", [])],
                              RevisionSource.API, self.source_address, host=body.get("host"))
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
