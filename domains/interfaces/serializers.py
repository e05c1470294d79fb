"""API v1 shapes of a domain's interfaces: the interface with its addresses, the add and change requests."""

from rest_framework import serializers

from domains.definitions.xml.device_edits import NIC_MODELS
from domains.definitions.xml.interface_edits import DIRECT_MODES, LINK_STATES
from domains.interfaces.actions import INTERFACE_TYPES


class GuestAddressSerializer(serializers.Serializer):
    address = serializers.CharField()
    prefix = serializers.IntegerField(allow_null=True)
    type = serializers.CharField(help_text="ipv4 or ipv6.")
    source = serializers.CharField(help_text="Where the address was learnt: lease (the network's DHCP server), "
                                             "agent (the guest agent) or arp (the host's ARP table).")


class BandwidthLimitSerializer(serializers.Serializer):
    average = serializers.IntegerField(min_value=1, help_text="KiB/s.")
    peak = serializers.IntegerField(min_value=1, required=False, help_text="KiB/s.")
    burst = serializers.IntegerField(min_value=1, required=False, help_text="KiB.")


class BandwidthSerializer(serializers.Serializer):
    inbound = BandwidthLimitSerializer(required=False, allow_null=True)
    outbound = BandwidthLimitSerializer(required=False, allow_null=True)


class FilterSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The nwfilter's name, e.g. clean-traffic.")
    parameters = serializers.DictField(child=serializers.CharField(), required=False, default=dict,
                                       help_text="Filter parameters, e.g. {\"IP\": \"192.168.1.10\"}.")


class InterfaceSerializer(serializers.Serializer):
    mac = serializers.CharField()
    type = serializers.CharField(help_text="network, bridge, direct, user, ...")
    source = serializers.CharField(allow_null=True, help_text="The network, host bridge or host device.")
    mode = serializers.CharField(allow_null=True, help_text="A direct interface's macvtap mode.")
    model = serializers.CharField(allow_null=True)
    link = serializers.CharField(help_text="up or down.")
    filter = FilterSerializer(allow_null=True)
    bandwidth = serializers.DictField(allow_null=True, help_text="{inbound, outbound}: {average, peak, burst}.")
    target = serializers.CharField(allow_null=True, help_text="The host's tap device while running.")
    alias = serializers.CharField(allow_null=True, help_text="The device's alias in the running domain.")
    in_definition = serializers.BooleanField(help_text="The persistent definition has this interface.")
    live = serializers.BooleanField(help_text="The running domain has this interface.")
    pending = serializers.CharField(allow_null=True, help_text="detach: removed, waiting for the guest to let go.")
    addresses = GuestAddressSerializer(many=True)


class InterfaceCreateSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=INTERFACE_TYPES, default="network")
    source = serializers.CharField(required=False, help_text="Network name (default: default), host bridge or "
                                                             "host device.")
    mode = serializers.ChoiceField(choices=DIRECT_MODES, required=False, help_text="direct only; default bridge.")
    model = serializers.ChoiceField(choices=NIC_MODELS, default="virtio")
    mac = serializers.CharField(required=False, help_text="Made up when left out; refused if used on the host.")
    filter = FilterSerializer(required=False, allow_null=True)
    bandwidth = BandwidthSerializer(required=False, allow_null=True)
    link = serializers.ChoiceField(choices=LINK_STATES, required=False)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class InterfaceChangeSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=INTERFACE_TYPES, required=False)
    source = serializers.CharField(required=False)
    mode = serializers.ChoiceField(choices=DIRECT_MODES, required=False)
    model = serializers.ChoiceField(choices=NIC_MODELS, required=False)
    filter = FilterSerializer(required=False, allow_null=True, help_text="null removes the filter.")
    bandwidth = BandwidthSerializer(required=False, allow_null=True,
                                    help_text="Replaces every limit (a direction left out is lifted); null lifts all.")
    link = serializers.ChoiceField(choices=LINK_STATES, required=False)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class InterfaceRemovalSerializer(serializers.Serializer):
    mac = serializers.CharField()
    pending = serializers.CharField(help_text="detach: the guest has not let go yet; the DEVICE_REMOVED event "
                                              "(domain.device_removed on the events socket) ends it.")
    alias = serializers.CharField(allow_null=True)
    message = serializers.CharField()
