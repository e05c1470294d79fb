"""API v1: a host's virtual networks: list, create, detail, change, delete, actions, DHCP leases."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from domains.access.lookups import client_address
from domains.access.permissions import route_permission
from domains.api.views import ApiView
from domains.interfaces.listing import leases_with_domains
from domains.libvirt import networks as libvirt_networks
from domains.networks.actions import (
    ACTION_PERMISSIONS,
    do_define_network,
    do_delete_network,
    do_network_action,
    do_update_network_xml,
)
from domains.networks.inventory import network_facts, networks_seen_by
from domains.networks.lookups import visible_host, visible_network
from domains.networks.serializers import (
    DhcpLeaseSerializer,
    NetworkActionSerializer,
    NetworkChangeSerializer,
    NetworkCreateSerializer,
    NetworkSerializer,
)
from domains.revisions.models import RevisionSource


@route_permission(GET="network.getattr", POST=("network.write", "network.save"),
                  note="network permissions are held through a host or global grant; POST with start also needs "
                       "network.start")
class HostNetworks(ApiView):
    serializer_class = NetworkSerializer

    @extend_schema(responses=NetworkSerializer(many=True), summary="The host's virtual networks")
    def get(self, request, host_id):
        host = visible_host(request.user, host_id)
        return Response([network_facts(row, handle) for row, handle in networks_seen_by(request.user, host)])

    @extend_schema(request=NetworkCreateSerializer, responses={201: NetworkSerializer},
                   summary="Define a network from fields or XML; optionally start and autostart it")
    def post(self, request, host_id):
        host = visible_host(request.user, host_id, "network.write")
        data = self.valid_body(NetworkCreateSerializer)
        fields = {key: data.get(key) for key in ("name", "forward", "bridge", "device", "ipv4", "ipv6",
                                                        "port_forwards")}
        row, handle = do_define_network(request.user, host, data.get("xml") or None, fields=fields,
                                        start=data["start"], autostart=data["autostart"],
                                        source_address=client_address(request), source=RevisionSource.API)
        return Response(network_facts(row, handle), status=status.HTTP_201_CREATED)


@route_permission(GET="network.getattr", PATCH="network.write", DELETE="network.delete",
                  note="DELETE of a running network also needs network.stop")
class HostNetwork(ApiView):
    serializer_class = NetworkSerializer

    def get(self, request, host_id, name):
        row, handle = visible_network(request.user, host_id, name)
        return Response(network_facts(row, handle))

    @extend_schema(request=NetworkChangeSerializer, responses=NetworkSerializer,
                   summary="Change autostart or the network's XML (a running network takes new XML at its next start)")
    def patch(self, request, host_id, name):
        row, handle = visible_network(request.user, host_id, name, "network.write")
        data = self.valid_body(NetworkChangeSerializer)
        address = client_address(request)
        if "xml" in data:
            handle = do_update_network_xml(request.user, row, handle, data["xml"], source_address=address,
                                           source=RevisionSource.API)
        if "autostart" in data:
            do_network_action(request.user, row, handle, "autostart" if data["autostart"] else "noautostart",
                              address)
        return Response(network_facts(row, handle))

    @extend_schema(responses={204: None}, summary="Stop and undefine the network (refused while domains use it)")
    def delete(self, request, host_id, name):
        row, handle = visible_network(request.user, host_id, name, "network.delete")
        do_delete_network(request.user, row, handle, source_address=client_address(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@route_permission(tuple(sorted(set(ACTION_PERMISSIONS.values()))),
                  note="the action decides: start network.start, stop network.stop, autostart/noautostart "
                       "network.write")
class HostNetworkActions(ApiView):
    serializer_class = NetworkActionSerializer

    @extend_schema(request=NetworkActionSerializer, responses=NetworkSerializer,
                   summary="Start, stop, autostart or noautostart a network")
    def post(self, request, host_id, name):
        data = self.valid_body(NetworkActionSerializer)
        # An unknown action is refused by do_network_action, after the lookup, naming the known ones.
        needed = ACTION_PERMISSIONS.get(data["action"], "network.getattr")
        row, handle = visible_network(request.user, host_id, name, needed)
        do_network_action(request.user, row, handle, data["action"], client_address(request))
        return Response(network_facts(row, handle))


@route_permission("network.read")
class HostNetworkLeases(ApiView):
    serializer_class = DhcpLeaseSerializer

    @extend_schema(responses=DhcpLeaseSerializer(many=True), summary="The network's current DHCP leases")
    def get(self, request, host_id, name):
        row, handle = visible_network(request.user, host_id, name, permission="network.read")
        return Response(leases_with_domains(request.user, row.host, libvirt_networks.dhcp_leases(handle)))
