"""API v1: a network's static DHCP hosts and DNS host entries, listed, added and removed live."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from domains.access.lookups import client_address
from domains.access.permissions import route_permission
from domains.api.views import ApiView
from domains.networks.host_entries import (
    UPDATE_PERMISSIONS,
    dhcp_hosts,
    dns_hosts,
    do_add_dhcp_host,
    do_add_dns_host,
    do_remove_dhcp_host,
    do_remove_dns_host,
)
from domains.networks.lookups import visible_network

LIVE_NOTE = ("the running network and its persistent definition change together (virNetworkUpdate), so dnsmasq "
             "serves the change at once; libvirt checks network.write and network.save")


class DhcpHostSerializer(serializers.Serializer):
    mac = serializers.CharField(required=False, allow_null=True,
                                help_text="The guest's MAC address (IPv4 hosts; IPv6 ones have none).")
    ip = serializers.CharField(help_text="The address DHCP always gives it, inside one of the network's subnets.")
    name = serializers.CharField(required=False, allow_null=True, help_text="Host name handed out with it.")
    id = serializers.CharField(required=False, allow_null=True,
                               help_text="IPv6 only: the client's DHCP unique id (DUID), instead of a name.")


class DnsHostSerializer(serializers.Serializer):
    ip = serializers.CharField()
    hostnames = serializers.ListField(child=serializers.CharField(), help_text="Names that resolve to ip.")


@route_permission(GET="network.read", POST=UPDATE_PERMISSIONS, DELETE=UPDATE_PERMISSIONS, note=LIVE_NOTE)
class NetworkDhcpHosts(ApiView):
    serializer_class = DhcpHostSerializer

    @extend_schema(responses=DhcpHostSerializer(many=True), summary="The network's static DHCP hosts")
    def get(self, request, host_id, name):
        _row, handle = visible_network(request.user, host_id, name, "network.read")
        return Response(dhcp_hosts(handle))

    @extend_schema(request=DhcpHostSerializer, responses={201: DhcpHostSerializer},
                   summary="Add a static DHCP host (live and persistent)")
    def post(self, request, host_id, name):
        row, handle = visible_network(request.user, host_id, name, "network.write")
        data = self.valid_body()
        made = do_add_dhcp_host(request.user, row, handle, ip=data["ip"], mac=data.get("mac"),
                                name=data.get("name"), host_id=data.get("id"), source_address=client_address(request))
        return Response(made, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[OpenApiParameter("mac", OpenApiTypes.STR, description="The host's MAC address."),
                               OpenApiParameter("name", OpenApiTypes.STR,
                                                description="For an IPv6 host without MAC: its name.")],
                   responses={204: None}, summary="Remove a static DHCP host, named by ?mac= (live and persistent)")
    def delete(self, request, host_id, name):
        row, handle = visible_network(request.user, host_id, name, "network.write")
        do_remove_dhcp_host(request.user, row, handle, mac=request.query_params.get("mac"),
                            name=request.query_params.get("name"), source_address=client_address(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@route_permission(GET="network.read", POST=UPDATE_PERMISSIONS, DELETE=UPDATE_PERMISSIONS, note=LIVE_NOTE)
class NetworkDnsHosts(ApiView):
    serializer_class = DnsHostSerializer

    @extend_schema(responses=DnsHostSerializer(many=True), summary="The network's DNS host entries")
    def get(self, request, host_id, name):
        _row, handle = visible_network(request.user, host_id, name, "network.read")
        return Response(dns_hosts(handle))

    @extend_schema(request=DnsHostSerializer, responses={201: DnsHostSerializer},
                   summary="Add a DNS host entry (live and persistent)")
    def post(self, request, host_id, name):
        row, handle = visible_network(request.user, host_id, name, "network.write")
        data = self.valid_body()
        made = do_add_dns_host(request.user, row, handle, ip=data["ip"], hostnames=data["hostnames"],
                               source_address=client_address(request))
        return Response(made, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[OpenApiParameter("ip", OpenApiTypes.STR, description="The entry's address.")],
                   responses={204: None}, summary="Remove the DNS host entry of ?ip= (live and persistent)")
    def delete(self, request, host_id, name):
        row, handle = visible_network(request.user, host_id, name, "network.write")
        do_remove_dns_host(request.user, row, handle, ip=request.query_params.get("ip"),
                           source_address=client_address(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
