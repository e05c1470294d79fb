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


@extend_schema_serializer(component_name="DomainAction")
class ActionRequestSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=list(ACTIONS))
    confirm_name = serializers.CharField(required=False, help_text="For undefine: the domain's name")
    keep_nvram = serializers.BooleanField(required=False, default=False)


class ActionResultSerializer(serializers.Serializer):
    message = serializers.CharField()
    domain = DomainSerializer()
