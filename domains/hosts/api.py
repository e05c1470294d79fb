"""API v1: hosts, each a libvirt URI the console reaches, with its connection health."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from domains.access.permissions import route_permission
from domains.api.views import HostScopedView
from domains.hosts.actions import do_add_host, do_remove_host, do_update_host
from domains.hosts.serializers import HostSerializer
from domains.libvirt import adapter


# Hosts answered with their connection health.
class HostView(HostScopedView):
    serializer_class = HostSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "health": adapter.health_of}


class HostList(HostView):

    @extend_schema(responses=HostSerializer(many=True))
    def get(self, request):
        return self.page_of(self.get_queryset())

    @extend_schema(responses={201: HostSerializer})
    def post(self, request):
        data = self.valid_body()
        host = do_add_host(request.user, data["name"], data["uri"], enabled=data.get("enabled", True),
                           source_address=self.source_address)
        return Response(self.get_serializer(host).data, status=status.HTTP_201_CREATED)


@route_permission(GET="getattr", PATCH="manage_hosts", DELETE="manage_hosts",
                  note="PATCH and DELETE also need getattr on the host to find it")
class HostDetail(HostView):

    def get(self, request, host_id):
        return Response(self.get_serializer(self.get_object()).data)

    def patch(self, request, host_id):
        """Rename, re-point or enable/disable a host: a new or re-enabled URI is reached before it is saved."""
        host = self.get_object()
        data = self.valid_body(instance=host, partial=True)
        host = do_update_host(request.user, host, name=data.get("name"), uri=data.get("uri"),
                              enabled=data.get("enabled"), source_address=self.source_address)
        return Response(self.get_serializer(host).data)

    @extend_schema(responses={204: None})
    def delete(self, request, host_id):
        """Remove a host (not the embedded one); its VMs are left as they are on the host itself."""
        do_remove_host(request.user, self.get_object(), source_address=self.source_address)
        return Response(status=status.HTTP_204_NO_CONTENT)
