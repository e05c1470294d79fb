"""API v1: console tickets, the single-use right to open one console over a websocket."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from domains.access import audit, permissions
from domains.api.views import DomainScopedView
from domains.consoles.models import (
    KIND_PERMISSIONS,
    KINDS,
    TICKET_LIFETIME,
    ConsoleTicket,
)


class ConsoleTicketRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=KINDS)


class ConsoleTicketSerializer(serializers.Serializer):
    ticket = serializers.CharField(help_text="Use once, within expires_in seconds, signed in as the same user.")
    url = serializers.CharField(help_text="The websocket path to open, ticket included.")
    expires_in = serializers.IntegerField()


class ConsoleTickets(DomainScopedView):
    serializer_class = ConsoleTicketRequestSerializer

    @extend_schema(request=ConsoleTicketRequestSerializer, responses={201: ConsoleTicketSerializer})
    def post(self, request, uuid):
        domain = self.get_object()
        kind = self.valid_body()["kind"]
        permissions.require(request.user, KIND_PERMISSIONS[kind], domain)
        token = ConsoleTicket.objects.issue(request.user, domain, kind)
        audit.record(request.user, f"console.{kind}.ticket", domain, source_address=self.source_address)
        return Response(
            {"ticket": token, "url": f"/ws/v1/domains/{domain.uuid}/{kind}?ticket={token}",
             "expires_in": int(TICKET_LIFETIME.total_seconds())},
            status=status.HTTP_201_CREATED,
        )
