"""API v1: the audit log, filtered to what the caller may read."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers

from domains.access.audit import filter_entries, visible_entries
from domains.access.models import AuditEntry
from domains.access.permission_names import AUTHENTICATED
from domains.access.permissions import route_permission
from domains.api.views import ApiView


class AuditEntrySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_name")

    class Meta:
        model = AuditEntry
        fields = ["id", "time", "actor", "action", "target_type", "target_id", "target_label", "parameters",
                  "outcome", "source_address", "prev_hash", "hash"]


@route_permission(AUTHENTICATED, note="lists only entries about what the caller may read, and their own")
class AuditList(ApiView):
    serializer_class = AuditEntrySerializer

    @extend_schema(responses=AuditEntrySerializer(many=True), parameters=[
        OpenApiParameter("actor", str, description="Username"),
        OpenApiParameter("action", str, description="Action or its prefix, e.g. 'domain.' or 'login'"),
        OpenApiParameter("domain", str, description="Domain UUID"),
        OpenApiParameter("host", int, description="Host id: the host and its domains"),
        OpenApiParameter("outcome", str, description="ok, denied, failed, ..."),
        OpenApiParameter("since", str, description="ISO 8601 time, inclusive"),
        OpenApiParameter("until", str, description="ISO 8601 time, exclusive"),
    ])
    def get(self, request):
        rows = filter_entries(visible_entries(request.user), request.query_params)
        return self.page_of(rows.order_by("-id"))
