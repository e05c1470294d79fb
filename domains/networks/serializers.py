"""API v1 shapes of networks: the network, the create and change requests, actions, DHCP leases."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class DhcpRangeSerializer(serializers.Serializer):
    start = serializers.CharField()
    end = serializers.CharField()


class NetworkAddressSerializer(serializers.Serializer):
    address = serializers.CharField(help_text="The host's address on the network, e.g. 192.168.150.1.")
    prefix = serializers.IntegerField(allow_null=True, help_text="Prefix length, e.g. 24.")
    dhcp = DhcpRangeSerializer(required=False, allow_null=True, help_text="The DHCP range, inside the subnet.")


class NetworkSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The console's id of the network.")
    name = serializers.CharField()
    uuid = serializers.UUIDField()
    host = serializers.IntegerField(help_text="Host id.")
    active = serializers.BooleanField()
    persistent = serializers.BooleanField()
    autostart = serializers.BooleanField()
    bridge = serializers.CharField(allow_null=True, help_text="The host bridge guests plug into, if any.")
    forward = serializers.CharField(help_text="nat, route, none (isolated), open, bridge, passthrough, hostdev, ...")
    ipv4 = NetworkAddressSerializer(allow_null=True)
    ipv6 = NetworkAddressSerializer(allow_null=True)


class NetworkCreateSerializer(serializers.Serializer):
    xml = serializers.CharField(required=False, help_text="A whole <network> definition; instead of the fields.")
    name = serializers.CharField(required=False)
    forward = serializers.CharField(required=False, default="nat",
                                    help_text="nat, route, none, open, bridge, macvtap or hostdev.")
    bridge = serializers.CharField(required=False, help_text="Bridge name: made by libvirt, or the host's own "
                                                             "for forward bridge.")
    device = serializers.CharField(required=False, help_text="Host interface for macvtap or hostdev.")
    ipv4 = NetworkAddressSerializer(required=False)
    ipv6 = NetworkAddressSerializer(required=False)
    start = serializers.BooleanField(default=False)
    autostart = serializers.BooleanField(default=False)
    port_forwards = serializers.ListField(child=serializers.DictField(), required=False,
                                          help_text="Refused (400 unsupported): libvirt's virtual networks have no "
                                                    "port forwarding; a guest's passt interface does.")

    def validate(self, attrs):
        if not attrs.get("xml") and not attrs.get("name"):
            raise serializers.ValidationError(_('Give "xml", or "name" (with "forward", "ipv4", ...).'))
        return attrs


class NetworkChangeSerializer(serializers.Serializer):
    autostart = serializers.BooleanField(required=False)
    xml = serializers.CharField(required=False, help_text="The new <network> definition (same name).")


class NetworkActionSerializer(serializers.Serializer):
    # A plain string (checked by the action), not a choice: a second "action" enum would rename the domains' one.
    action = serializers.CharField(help_text="start, stop, autostart or noautostart.")


class DhcpLeaseSerializer(serializers.Serializer):
    mac = serializers.CharField()
    ip = serializers.CharField()
    prefix = serializers.IntegerField(allow_null=True)
    type = serializers.CharField(help_text="ipv4 or ipv6.")
    hostname = serializers.CharField(allow_null=True)
    client_id = serializers.CharField(allow_null=True)
    expires = serializers.IntegerField(allow_null=True, help_text="Expiry time, seconds since the epoch.")
    domain = serializers.CharField(allow_null=True, required=False,
                                   help_text="The domain whose interface has this MAC, if you may see it.")
    domain_uuid = serializers.UUIDField(allow_null=True, required=False)
