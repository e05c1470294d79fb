"""API v1 shapes of pools: the pool, the create and change requests, actions, pool types."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from domains.storage.pools.definition import SOURCE_FIELDS


class PoolSourceSerializer(serializers.Serializer):
    device = serializers.ListField(child=serializers.CharField(), required=False,
                                   help_text="Host block devices (fs, disk, logical, zfs, iscsi).")
    host = serializers.CharField(required=False, help_text="Storage server (netfs, iscsi, rbd, gluster).")
    dir = serializers.CharField(required=False, help_text="Exported directory (netfs) or path in a gluster volume.")
    name = serializers.CharField(required=False, help_text="Volume group, RBD pool, gluster volume or ZFS pool.")
    format = serializers.CharField(required=False, help_text="File system (fs, netfs) or partition table (disk).")
    adapter = serializers.CharField(required=False, help_text="SCSI host adapter (scsi).")
    initiator = serializers.CharField(required=False, help_text="iSCSI initiator IQN (iscsi-direct).")

    def to_internal_value(self, data):
        # One device may be given as a string.
        if isinstance(data, dict) and isinstance(data.get("device"), str):
            data = {**data, "device": [data["device"]]}
        unknown = sorted(set(data) - set(SOURCE_FIELDS)) if isinstance(data, dict) else []
        if unknown:
            raise serializers.ValidationError(format_lazy(_("Unknown source field(s): {unknown}."),
                                                          unknown=", ".join(unknown)))
        return super().to_internal_value(data)


class PoolSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The console's id of the pool (for grants).")
    name = serializers.CharField()
    uuid = serializers.UUIDField()
    host = serializers.IntegerField(help_text="Host id.")
    type = serializers.CharField(help_text="dir, fs, netfs, logical, disk, iscsi, ...")
    state = serializers.CharField(help_text="inactive, building, running, degraded, inaccessible.")
    active = serializers.BooleanField()
    persistent = serializers.BooleanField()
    autostart = serializers.BooleanField()
    capacity = serializers.IntegerField(help_text="Bytes.")
    allocation = serializers.IntegerField(help_text="Bytes.")
    available = serializers.IntegerField(help_text="Bytes.")
    target = serializers.CharField(allow_null=True, help_text="Target path on the host, if the type has one.")
    source = serializers.DictField(help_text="device (list), host, dir, name, format, adapter as defined.")
    volumes = serializers.IntegerField(allow_null=True, help_text="Number of volumes; null while inactive.")


class PoolCreateSerializer(serializers.Serializer):
    xml = serializers.CharField(required=False, help_text="A whole <pool> definition; instead of the fields below.")
    name = serializers.CharField(required=False)
    type = serializers.CharField(required=False)
    target = serializers.CharField(required=False, help_text="Target path, under the host's pool paths.")
    source = PoolSourceSerializer(required=False)
    build = serializers.BooleanField(default=False, help_text="Build the storage (make the directory, format).")
    start = serializers.BooleanField(default=False)
    autostart = serializers.BooleanField(default=False)
    keep_on_failure = serializers.BooleanField(
        default=False, help_text="Keep the defined pool if build, start or autostart fails (default: undefine it).")
    reason = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if not attrs.get("xml") and not (attrs.get("name") and attrs.get("type")):
            raise serializers.ValidationError(_('Give "xml", or "name" and "type" (with "target" and "source").'))
        return attrs


class PoolChangeSerializer(serializers.Serializer):
    autostart = serializers.BooleanField(required=False)
    xml = serializers.CharField(required=False, help_text="The new <pool> definition (same name).")
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class PoolActionSerializer(serializers.Serializer):
    # A plain string (checked by the action), not a choice: a second "action" enum would rename the domains' one.
    action = serializers.CharField(help_text="start, stop, refresh, build, autostart or noautostart.")


class PoolTypeSerializer(serializers.Serializer):
    type = serializers.CharField()
    supported = serializers.BooleanField()
    source_fields = serializers.ListField(child=serializers.CharField(), help_text="Source fields this type needs.")
    target = serializers.BooleanField(help_text="Whether the type takes a target path.")
    source_formats = serializers.ListField(child=serializers.CharField())
    default_format = serializers.CharField(allow_null=True)
    volume_formats = serializers.ListField(child=serializers.CharField(), help_text="Formats (partition types for "
                                           "disk pools) libvirt's volumes of this type may have; empty: none")
    default_volume_format = serializers.CharField(allow_null=True)
