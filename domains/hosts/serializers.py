"""The shape of a host in API v1."""

from rest_framework import serializers

from domains.access.redaction import redact_url_passwords
from domains.hosts.models import Host


class HostSerializer(serializers.ModelSerializer):
    state = serializers.SerializerMethodField(help_text="connected, reconnecting, failed or disconnected")
    state_message = serializers.SerializerMethodField()

    class Meta:
        model = Host
        fields = ["id", "name", "uri", "enabled", "embedded", "state", "state_message"]
        read_only_fields = ["id", "embedded", "state", "state_message"]

    def to_representation(self, host):
        # A password left in a URI from before the rule is never shown.
        body = super().to_representation(host)
        body["uri"] = redact_url_passwords(body["uri"])
        return body

    def get_state(self, host) -> str:
        return self.context["health"](host).state

    def get_state_message(self, host) -> str:
        return self.context["health"](host).message
