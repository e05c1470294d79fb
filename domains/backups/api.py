"""API v1: a domain's backups: list, take (202 with its job), show, delete, restore (202 with its job)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from domains.access.permissions import route_permission
from domains.api.views import DomainScopedView
from domains.backups.actions import (
    backup_of,
    backups_of,
    do_create_backup,
    do_delete_backup,
)
from domains.backups.restore import do_restore_backup
from domains.backups.serializers import (
    BackupCreateSerializer,
    BackupRestoreSerializer,
    BackupSerializer,
)
from domains.jobs.serializers import JobSerializer


def _accepted(job):
    return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


@route_permission(GET="read", POST=("checkpoint", "block_read"), note="on the domain; POST also storage_vol.create "
                                                                     "on the pool")
class DomainBackups(DomainScopedView):
    serializer_class = BackupCreateSerializer

    @extend_schema(operation_id="domains_backups_list", responses=BackupSerializer(many=True),
                   summary="The domain's backups, oldest first")
    def get(self, request, uuid):
        domain = self.get_object("read")
        return Response(BackupSerializer(backups_of(domain), many=True).data)

    @extend_schema(request=BackupCreateSerializer, responses={202: JobSerializer},
                   summary="Take a full or incremental backup into a pool (a job; cancellable)")
    def post(self, request, uuid):
        domain = self.get_object("read")
        body = self.valid_body()
        return _accepted(do_create_backup(request.user, domain, body["kind"], body["pool"], self.source_address))


@route_permission(GET="read", DELETE="checkpoint", note="on the domain; DELETE also storage_vol.delete on the pools")
class DomainBackup(DomainScopedView):
    serializer_class = BackupSerializer

    @extend_schema(operation_id="domains_backup_retrieve", responses=BackupSerializer)
    def get(self, request, uuid, backup_id):
        domain = self.get_object("read")
        return Response(BackupSerializer(backup_of(domain, backup_id)).data)

    @extend_schema(parameters=[OpenApiParameter("chain", OpenApiTypes.BOOL, description="true: delete the later "
                                                "incremental backups that build on it too")],
                   responses={204: None}, summary="Delete a backup: its volumes and its checkpoint")
    def delete(self, request, uuid, backup_id):
        domain = self.get_object("read")
        chain = request.query_params.get("chain", "").lower() in ("true", "1", "yes")
        do_delete_backup(request.user, domain, backup_id, chain, self.source_address)
        return Response(status=status.HTTP_204_NO_CONTENT)


@route_permission(("write", "define_domains"), note="write on the domain (mode over) or define_domains on its "
                                                    "host (mode new); storage_vol.create on the pool")
class DomainBackupRestore(DomainScopedView):
    serializer_class = BackupRestoreSerializer

    @extend_schema(request=BackupRestoreSerializer, responses={202: JobSerializer},
                   summary="Restore a backup into a new domain or over this one (a job; cancellable)")
    def post(self, request, uuid, backup_id):
        domain = self.get_object("read")
        body = self.valid_body()
        return _accepted(do_restore_backup(request.user, domain, backup_id, body["mode"], body["pool"], body["name"],
                                           self.source_address))
