"""API v1: a host's storage pools: list, create, detail, change, delete, actions, and the pool types it supports."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from domains.access.lookups import client_address
from domains.access.permissions import route_permission
from domains.api.views import HostScopedView
from domains.storage.lookups import visible_pool
from domains.storage.pools.actions import (
    ACTION_PERMISSIONS,
    do_define_pool,
    do_delete_pool,
    do_pool_action,
    do_update_pool_xml,
)
from domains.storage.pools.capabilities import pool_types
from domains.storage.pools.facts import pool_facts
from domains.storage.pools.inventory import pools_seen_by
from domains.storage.pools.serializers import (
    PoolActionSerializer,
    PoolChangeSerializer,
    PoolCreateSerializer,
    PoolSerializer,
    PoolTypeSerializer,
)


@route_permission(GET="getattr", POST="storage_pool.write",
                  note="GET lists the pools the user may see (storage_pool.getattr) on a host they may see; "
                       "POST also needs storage_pool.format to build, storage_pool.start/autostart to start/autostart")
class HostPools(HostScopedView):
    serializer_class = PoolSerializer

    @extend_schema(responses=PoolSerializer(many=True), summary="The host's storage pools the caller may see")
    def get(self, request, host_id):
        host = self.get_object()
        return Response([pool_facts(row, handle) for row, handle in pools_seen_by(request.user, host)])

    @extend_schema(request=PoolCreateSerializer, responses={201: PoolSerializer},
                   summary="Define a pool from fields or XML; optionally build, start and autostart it")
    def post(self, request, host_id):
        host = self.get_object()
        serializer = PoolCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        fields = {key: data.get(key) for key in ("name", "type", "target", "source")}
        row, handle = do_define_pool(request.user, host, data.get("xml") or None, fields=fields, build=data["build"],
                                     start=data["start"], autostart=data["autostart"],
                                     keep_on_failure=data["keep_on_failure"], reason=data["reason"],
                                     source_address=client_address(request))
        return Response(pool_facts(row, handle), status=status.HTTP_201_CREATED)


@route_permission(GET="storage_pool.getattr", PATCH=("storage_pool.autostart", "storage_pool.write"),
                  DELETE="storage_pool.delete",
                  note="PATCH: autostart needs storage_pool.autostart, xml needs storage_pool.write (host-level)")
class HostPool(HostScopedView):
    serializer_class = PoolSerializer

    def get(self, request, host_id, name):
        row, handle = visible_pool(request.user, host_id, name)
        return Response(pool_facts(row, handle))

    @extend_schema(request=PoolChangeSerializer, responses=PoolSerializer,
                   summary="Change autostart or the pool's XML (a running pool takes new XML at its next start)")
    def patch(self, request, host_id, name):
        row, handle = visible_pool(request.user, host_id, name)
        serializer = PoolChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        address = client_address(request)
        if "xml" in data:
            do_update_pool_xml(request.user, row, handle, data["xml"], data["reason"], source_address=address)
            row, handle = visible_pool(request.user, host_id, name)
        if "autostart" in data:
            do_pool_action(request.user, row, handle, "autostart" if data["autostart"] else "noautostart", address)
        return Response(pool_facts(row, handle))

    @extend_schema(responses={204: None}, parameters=[
        OpenApiParameter("purge", bool, description="Also delete the pool's storage on the host (its directory, "
                                                    "volume group, ...).")],
        summary="Stop and undefine the pool; ?purge=true deletes its storage too")
    def delete(self, request, host_id, name):
        row, handle = visible_pool(request.user, host_id, name)
        purge = request.query_params.get("purge", "").lower() in ("1", "true", "yes")
        do_delete_pool(request.user, row, handle, purge=purge, source_address=client_address(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@route_permission(tuple(sorted(set(ACTION_PERMISSIONS.values()))), note="the action decides: build needs "
                  "storage_pool.format (host-level), autostart/noautostart storage_pool.autostart, others their name")
class HostPoolActions(HostScopedView):
    serializer_class = PoolActionSerializer

    @extend_schema(request=PoolActionSerializer, responses=PoolSerializer, summary="Start, stop, refresh, build, "
                   "autostart or noautostart a pool")
    def post(self, request, host_id, name):
        row, handle = visible_pool(request.user, host_id, name)
        serializer = PoolActionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        do_pool_action(request.user, row, handle, serializer.validated_data["action"], client_address(request))
        return Response(pool_facts(row, handle))


@route_permission("getattr", note="on the host")
class HostPoolTypes(HostScopedView):
    serializer_class = PoolTypeSerializer

    @extend_schema(responses=PoolTypeSerializer(many=True),
                   summary="Pool types this host's libvirt supports, with the source fields each needs")
    def get(self, request, host_id):
        return Response([pool_type.as_dict() for pool_type in pool_types(self.get_object())])
