"""API v1: a host's own network side: its interfaces and bridges (read only) and its network filters."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from domains.access.lookups import client_address
from domains.access.permissions import route_permission
from domains.api.views import ApiView
from domains.networks.host_interfaces import host_interfaces
from domains.networks.lookups import visible_host
from domains.networks.nwfilters import do_define_nwfilter, do_undefine_nwfilter, nwfilter_detail, nwfilter_list


class InterfaceAddressSerializer(serializers.Serializer):
    address = serializers.CharField()
    prefix = serializers.IntegerField(allow_null=True)
    family = serializers.CharField(allow_null=True, help_text="ipv4 or ipv6.")


class HostInterfaceSerializer(serializers.Serializer):
    name = serializers.CharField()
    mac = serializers.CharField(allow_null=True)
    active = serializers.BooleanField(allow_null=True, help_text="Up (libvirt's view); null for a bridge's member.")
    link = serializers.CharField(allow_null=True, help_text="Link state: up, down, lowerlayerdown, unknown, ...")
    kind = serializers.CharField(help_text="ethernet, bridge, bond, vlan (libvirt's interface type).")
    mtu = serializers.IntegerField(allow_null=True)
    members = serializers.ListField(child=serializers.CharField(), help_text="A bridge's or bond's members.")
    in_bridge = serializers.CharField(allow_null=True, help_text="The bridge this interface is a member of.")
    addresses = InterfaceAddressSerializer(many=True, help_text="Where libvirt reports them (not the udev "
                                                                "backend); a libvirt network's bridge shows the "
                                                                "network's addresses.")
    network = serializers.CharField(allow_null=True, help_text="The libvirt network that owns this bridge.")
    usable_for = serializers.ListField(child=serializers.CharField(),
                                       help_text="bridge and/or macvtap: which forward modes may name it.")


@route_permission("interface.read", note="libvirt checks connect.search_interfaces and interface.read; bridge "
                                         "owners are shown to holders of network.getattr")
class HostInterfaces(ApiView):
    serializer_class = HostInterfaceSerializer

    @extend_schema(parameters=[OpenApiParameter("usable_for", OpenApiTypes.STR, enum=["bridge", "macvtap"],
                                                description="Only interfaces a network of that forward mode may "
                                                            "name.")],
                   responses=HostInterfaceSerializer(many=True), summary="The host's network interfaces and bridges")
    def get(self, request, host_id):
        host = visible_host(request.user, host_id, "interface.read")
        return Response(host_interfaces(request.user, host, request.query_params.get("usable_for")))


class NwfilterSerializer(serializers.Serializer):
    name = serializers.CharField()
    uuid = serializers.UUIDField(allow_null=True)
    chain = serializers.CharField(help_text="root, mac, ipv4, ipv6, arp, rarp, vlan, stp, or a prefixed custom one.")
    priority = serializers.IntegerField(allow_null=True)
    references = serializers.ListField(child=serializers.CharField(), help_text="Filters this one includes.")
    referenced_by = serializers.ListField(child=serializers.CharField(), help_text="Filters that include this one.")
    bound_to = serializers.ListField(child=serializers.CharField(),
                                     help_text="Running interfaces (host devices) whose traffic it filters now.")
    rules = serializers.IntegerField(help_text="How many rules of its own it has.")


class NwfilterDetailSerializer(NwfilterSerializer):
    xml = serializers.CharField()


class NwfilterXmlSerializer(serializers.Serializer):
    xml = serializers.CharField(help_text="A whole <filter name='...'> definition.")


@route_permission(GET="nwfilter.getattr", POST=("nwfilter.write", "nwfilter.save"),
                  note="libvirt's nwfilter ACL names, held through a host or global grant")
class HostNwfilters(ApiView):
    serializer_class = NwfilterSerializer

    @extend_schema(responses=NwfilterSerializer(many=True), summary="The host's network filters")
    def get(self, request, host_id):
        host = visible_host(request.user, host_id, "nwfilter.getattr")
        return Response(nwfilter_list(host))

    @extend_schema(request=NwfilterXmlSerializer, responses={201: NwfilterDetailSerializer},
                   summary="Define a new network filter from XML")
    def post(self, request, host_id):
        host = visible_host(request.user, host_id, "nwfilter.write")
        data = self.valid_body(NwfilterXmlSerializer)
        made = do_define_nwfilter(request.user, host, data["xml"], source_address=client_address(request))
        return Response(made, status=status.HTTP_201_CREATED)


@route_permission(GET="nwfilter.read", PUT=("nwfilter.write", "nwfilter.save"), DELETE="nwfilter.delete",
                  note="a changed filter applies at once to the running interfaces bound to it")
class HostNwfilter(ApiView):
    serializer_class = NwfilterDetailSerializer

    def get(self, request, host_id, name):
        host = visible_host(request.user, host_id, "nwfilter.read")
        return Response(nwfilter_detail(host, name))

    @extend_schema(request=NwfilterXmlSerializer, responses=NwfilterDetailSerializer,
                   summary="Redefine the filter from XML (same name; its UUID is kept)")
    def put(self, request, host_id, name):
        host = visible_host(request.user, host_id, "nwfilter.write")
        data = self.valid_body(NwfilterXmlSerializer)
        return Response(do_define_nwfilter(request.user, host, data["xml"], name=name,
                                           source_address=client_address(request)))

    @extend_schema(responses={204: None}, summary="Undefine the filter (refused 409 in_use while used)")
    def delete(self, request, host_id, name):
        host = visible_host(request.user, host_id, "nwfilter.delete")
        do_undefine_nwfilter(request.user, host, name, source_address=client_address(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
