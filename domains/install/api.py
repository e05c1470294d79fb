"""API v1 of installing an OS: the OS variants of osinfo-db, create with an install source, removable media."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from domains.access import permissions
from domains.access.grants import do_give_ownership
from domains.access.permission_names import AUTHENTICATED
from domains.access.permissions import route_permission
from domains.api.views import ApiView, DomainScopedView
from domains.definitions.actions import do_define
from domains.definitions.api import DefinitionResultSerializer, HostDomains
from domains.definitions.models import DefinitionRevision, RevisionSource
from domains.domain_templates.api import find_template
from domains.install import osinfo
from domains.install.media import do_change_media
from domains.install.serializers import (
    HostDomainCreateSerializer,
    MediaChangeSerializer,
    MediaResultSerializer,
    OsVariantSerializer,
)
from domains.install.sources import do_install_domain
from domains.jobs.serializers import JobSerializer
from domains.quotas.limits import check_quota, definition_use


@route_permission(AUTHENTICATED, note="reads the host-independent osinfo database")
class OsVariants(ApiView):
    serializer_class = OsVariantSerializer

    @extend_schema(responses=OsVariantSerializer(many=True),
                   summary="Operating systems osinfo-db knows, a page at a time (limit, offset)", parameters=[
        OpenApiParameter("search", str, description="Words of the name or short id, e.g. 'debian 12'"),
    ])
    def get(self, request):
        found = osinfo.search(request.query_params.get("search", ""), limit=None)
        return self.page_of([variant.as_dict() for variant in found])


@route_permission("define_domains", note="on the host")
class HostDomainsWithInstall(HostDomains):
    """Create a domain on the host: from a definition (xml), or structured with its install source."""

    serializer_class = HostDomainCreateSerializer

    @extend_schema(request=HostDomainCreateSerializer,
                   responses={201: DefinitionResultSerializer, 202: JobSerializer},
                   summary="Create a domain from XML, or with an install source (202 and a job when it copies an "
                           "image; the job's result is the created domain)")
    def post(self, request, host_id):
        host = self.get_object()
        body = self.valid_body()
        if "xml" in body:
            # A domain defined from XML (always a new one: do_define refuses a name the host has) passes the same
            # quota and gets the same owner as a structured create.
            if permissions.has_perm(request.user, "define_domains", host):  # else do_define refuses, audited
                check_quota(request.user, definition_use(host, body["xml"]))
            change = do_define(request.user, host, body["xml"], body["reason"], RevisionSource.IMPORT,
                               self.source_address)
            do_give_ownership(request.user, change.domain, self.source_address)
            return Response(DefinitionResultSerializer(change).data, status=status.HTTP_201_CREATED)
        if "template" in body:
            body = find_template(body["template"]).create_body(body)
        result, job = do_install_domain(request.user, host, body, self.source_address)
        if job is not None:
            return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
        change_like = {"domain": {"uuid": result["uuid"]}, "changed": True,
                       "revision": DefinitionRevision.objects.get(domain__uuid=result["uuid"], domain__host=host,
                                                                  number=result["revision"])}
        return Response({**DefinitionResultSerializer(change_like).data, "install": result},
                        status=status.HTTP_201_CREATED)


@route_permission("write", note="on the domain; the volume needs storage_vol.data_read on its pool")
class DomainMedia(DomainScopedView):
    serializer_class = MediaChangeSerializer

    @extend_schema(request=MediaChangeSerializer, responses=MediaResultSerializer,
                   summary="Insert, change or eject a CD-ROM or floppy medium (live on a running domain)")
    def post(self, request, uuid):
        domain = self.get_object("write")
        body = self.valid_body()
        result = do_change_media(request.user, domain, body["device"], body["volume"], body["reason"],
                                 source_address=self.source_address)
        return Response(MediaResultSerializer(result).data)
