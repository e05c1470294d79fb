"""API v1 endpoints for hosts, domains and lifecycle actions."""

from dataclasses import asdict

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from console.request_helpers import client_address, visible_domain, visible_host
from domains import libvirt_adapter, permissions
from domains.actions import do_domain_action
from domains.api.errors import error_response
from domains.api.serializers import ActionRequestSerializer, ActionResultSerializer, DomainSerializer, HostSerializer
from domains.hosts import do_add_host, do_remove_host, do_update_host
from domains.listing import DomainItem, list_domains
from domains.models import Host
from domains.permissions import route_permission


class HostList(GenericAPIView):
    serializer_class = HostSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "health": libvirt_adapter.health_of}

    def get_queryset(self):
        return permissions.restrict(Host.objects.all(), self.request.user)

    @extend_schema(responses=HostSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses={201: HostSerializer})
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        host = do_add_host(request.user, serializer.validated_data["name"], serializer.validated_data["uri"],
                           enabled=serializer.validated_data.get("enabled", True),
                           source_address=client_address(request))
        return Response(self.get_serializer(host).data, status=status.HTTP_201_CREATED)


@route_permission(GET="getattr", PATCH="manage_hosts", DELETE="manage_hosts",
                  note="PATCH and DELETE also need getattr on the host to find it")
class HostDetail(GenericAPIView):
    serializer_class = HostSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "health": libvirt_adapter.health_of}

    def get(self, request, host_id):
        return Response(self.get_serializer(visible_host(request.user, host_id)).data)

    def patch(self, request, host_id):
        """Rename, re-point or enable/disable a host: a new or re-enabled URI is reached before it is saved."""
        host = visible_host(request.user, host_id)
        serializer = self.get_serializer(host, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        host = do_update_host(request.user, host, name=data.get("name"), uri=data.get("uri"),
                              enabled=data.get("enabled"), source_address=client_address(request))
        return Response(self.get_serializer(host).data)

    @extend_schema(responses={204: None})
    def delete(self, request, host_id):
        """Remove a host (not the embedded one); its VMs are left as they are on the host itself."""
        do_remove_host(request.user, visible_host(request.user, host_id), source_address=client_address(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _items(user, **filters):
    return [asdict(item) for section in list_domains(user, **filters) for item in section.items]


class DomainList(GenericAPIView):
    serializer_class = DomainSerializer

    @extend_schema(responses=DomainSerializer(many=True), parameters=[
        OpenApiParameter("host", int, description="Host id"),
        OpenApiParameter("state", str, description="running, paused, shutoff, gone, ..."),
        OpenApiParameter("name", str, description="Part of the name"),
    ])
    def get(self, request):
        host = request.query_params.get("host")
        if host is not None and not host.isdigit():
            return error_response(400, "invalid", f"host={host!r} is not a host id (a whole number).",
                                  {"host": ["Give a host id."]})
        items = _items(request.user, host=int(host) if host else None,
                       state=request.query_params.get("state") or None, name=request.query_params.get("name") or None)
        page = self.paginate_queryset(items)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


def _one(user, domain):
    for item in _items(user, host=domain.host_id, name=domain.name):
        if str(item["uuid"]) == str(domain.uuid):
            return item
    return asdict(DomainItem(domain.uuid, domain.name, domain.host_id, domain.host.name,
                             "gone" if domain.gone else "unknown"))


class DomainDetail(GenericAPIView):
    serializer_class = DomainSerializer

    def get(self, request, uuid):
        return Response(self.get_serializer(_one(request.user, visible_domain(request.user, uuid))).data)


class DomainActions(GenericAPIView):
    serializer_class = ActionRequestSerializer

    @extend_schema(request=ActionRequestSerializer, responses=ActionResultSerializer)
    def post(self, request, uuid):
        domain = visible_domain(request.user, uuid)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        message = do_domain_action(request.user, domain, data.pop("action"), data, client_address(request))
        domain.refresh_from_db()
        return Response({"message": message, "domain": DomainSerializer(_one(request.user, domain)).data})
