"""The shape of a host in API v1."""

from rest_framework import serializers

from domains.hosts.models import Host


class HostSerializer(serializers.ModelSerializer):
    state = serializers.SerializerMethodField(help_text="connected, reconnecting, failed or disconnected")
    state_message = serializers.SerializerMethodField()

    class Meta:
        model = Host
        fields = ["id", "name", "uri", "enabled", "embedded", "state", "state_message"]
        read_only_fields = ["id", "embedded", "state", "state_message"]

    def get_state(self, host) -> str:
        return self.context["health"](host).state

    def get_state_message(self, host) -> str:
        return self.context["health"](host).message
