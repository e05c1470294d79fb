"""API v1: a domain's snapshots: the tree, create, show, revert, delete (the changes answer 202 with their job)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from domains.access.permissions import route_permission
from domains.api.views import DomainScopedView
from domains.definitions.models import RevisionSource
from domains.jobs.serializers import JobSerializer
from domains.snapshots.actions import (
    PERMISSION,
    do_create_snapshot,
    do_delete_snapshot,
    do_revert_snapshot,
    snapshot_of,
    snapshots_of,
)
from domains.snapshots.serializers import (
    SnapshotCreateSerializer,
    SnapshotListSerializer,
    SnapshotRevertSerializer,
    SnapshotSerializer,
)


def _accepted(job):
    return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


@route_permission(GET="read", POST=PERMISSION, note="on the domain")
class DomainSnapshots(DomainScopedView):
    serializer_class = SnapshotCreateSerializer

    @extend_schema(operation_id="domains_snapshots_list", responses=SnapshotListSerializer,
                   summary="The domain's snapshots, their tree and what may be taken now")
    def get(self, request, uuid):
        domain = self.get_object("read")
        return Response(SnapshotListSerializer(snapshots_of(domain)).data)

    @extend_schema(request=SnapshotCreateSerializer, responses={202: JobSerializer},
                   summary="Take a snapshot (a job): internal, or external disk-only")
    def post(self, request, uuid):
        domain = self.get_object(PERMISSION)
        body = self.valid_body()
        return _accepted(do_create_snapshot(request.user, domain, body["name"], body["kind"], body["description"],
                                            RevisionSource.API, self.source_address))


@route_permission(GET="read", DELETE=PERMISSION, note="on the domain")
class DomainSnapshot(DomainScopedView):
    serializer_class = SnapshotSerializer

    @extend_schema(operation_id="domains_snapshot_retrieve", responses=SnapshotSerializer)
    def get(self, request, uuid, name):
        domain = self.get_object("read")
        return Response(SnapshotSerializer(snapshot_of(domain, name)).data)

    @extend_schema(parameters=[OpenApiParameter("children", OpenApiTypes.BOOL, description="true: delete the "
                                                "snapshots under it too")],
                   responses={202: JobSerializer},
                   summary="Delete a snapshot or a subtree (a job); external ones by committing their overlays")
    def delete(self, request, uuid, name):
        domain = self.get_object(PERMISSION)
        children = request.query_params.get("children", "").lower() in ("true", "1", "yes")
        return _accepted(do_delete_snapshot(request.user, domain, name, children, RevisionSource.API,
                                            self.source_address))


@route_permission(PERMISSION, note="on the domain")
class DomainSnapshotRevert(DomainScopedView):
    serializer_class = SnapshotRevertSerializer

    @extend_schema(request=SnapshotRevertSerializer, responses={202: JobSerializer},
                   summary="Revert the domain to a snapshot (a job)")
    def post(self, request, uuid, name):
        domain = self.get_object(PERMISSION)
        body = self.valid_body()
        return _accepted(do_revert_snapshot(request.user, domain, name, body["state"], RevisionSource.API,
                                            self.source_address))
