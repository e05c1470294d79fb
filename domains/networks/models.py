"""Network: one row per libvirt virtual network by (host, UUID), so its audit (and later its grants) survive redefinitions."""

from domains.hosts.models import HostObject


class Network(HostObject):
    """A virtual network known to the console; like Pool, the row outlives an undefine so its history stays."""

    class Meta(HostObject.Meta):
        pass

    def __str__(self):
        return f"network {self.name} on {self.host}"
