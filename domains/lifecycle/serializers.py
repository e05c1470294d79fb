"""Shapes of domains and lifecycle actions in API v1."""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from domains.lifecycle.actions import ACTIONS


class DomainSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    name = serializers.CharField()
    host = serializers.IntegerField(help_text="Host id")
    host_name = serializers.CharField()
    state = serializers.CharField(help_text="running, paused, shutoff, ... or 'gone' once undefined, 'unknown' if the host is unreachable")
    reason = serializers.CharField()
    vcpus = serializers.IntegerField(allow_null=True)
    memory_kib = serializers.IntegerField(allow_null=True)
    max_memory_kib = serializers.IntegerField(allow_null=True)
    cpu_percent = serializers.FloatField(allow_null=True)
    running_since = serializers.DateTimeField(
        allow_null=True, help_text="When the domain started; exact only if running_since_exact, else no later than"
    )
    running_since_exact = serializers.BooleanField()
    tags = serializers.ListField(child=serializers.CharField(), help_text="The domain's tags, sorted")

    def to_representation(self, instance):
        # A list answers up to 1,000 of these: each field's own to_representation, called directly (the base
        # class finds each attribute through the field's source machinery, here always the field's name).
        if not hasattr(self, "_represent"):
            self._represent = [(field.field_name, field.to_representation) for field in self._readable_fields]
        read = instance.__getitem__ if isinstance(instance, dict) else instance.__getattribute__
        answer = {}
        for name, represent in self._represent:
            value = read(name)
            answer[name] = None if value is None else represent(value)
        return answer


@extend_schema_serializer(component_name="DomainAction")
class ActionRequestSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=list(ACTIONS))
    confirm_name = serializers.CharField(required=False, help_text="For undefine: the domain's name")
    keep_nvram = serializers.BooleanField(required=False, default=False)
    remove_storage = serializers.BooleanField(
        required=False, default=False,
        help_text="For undefine: also delete its storage (the domain shut off): its writable disks' volumes and their "
                  "backing chains, its external snapshots' overlay and memory files. A volume another domain uses or "
                  "another volume stands on (a linked clone's base) is kept and named in storage.kept with its "
                  "reason; CD-ROMs, read-only and shareable disks and backups are kept.")


class StorageVolumeSerializer(serializers.Serializer):
    pool = serializers.CharField(allow_null=True)
    volume = serializers.CharField(allow_null=True)
    path = serializers.CharField()
    reason = serializers.CharField(required=False, help_text="Why it was kept")


class RemovedStorageSerializer(serializers.Serializer):
    deleted = StorageVolumeSerializer(many=True)
    kept = StorageVolumeSerializer(many=True, help_text="Needed by something else, or in no pool: with the reason")
    left = StorageVolumeSerializer(many=True, help_text="Not deleted because a deletion failed (see the message)")


class ActionResultSerializer(serializers.Serializer):
    message = serializers.CharField()
    domain = DomainSerializer()
    storage = RemovedStorageSerializer(required=False, help_text="Undefine with remove_storage: what went, what stayed")
