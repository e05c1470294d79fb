"""API v1 of installing an OS: the OS variants of osinfo-db, create with an install source, removable media."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from domains.access.permission_names import AUTHENTICATED
from domains.access.permissions import route_permission
from domains.api.errors import error_response
from domains.api.views import ApiView
from domains.install import osinfo
from domains.install.serializers import OsVariantSerializer


@route_permission(AUTHENTICATED, note="reads the host-independent osinfo database")
class OsVariants(ApiView):
    serializer_class = OsVariantSerializer

    @extend_schema(responses=OsVariantSerializer(many=True), summary="Operating systems osinfo-db knows", parameters=[
        OpenApiParameter("search", str, description="Words of the name or short id, e.g. 'debian 12'"),
        OpenApiParameter("limit", int, description="At most this many (1 to 500, default 50)"),
    ])
    def get(self, request):
        limit = request.query_params.get("limit", "50")
        if not limit.isdigit() or not 1 <= int(limit) <= 500:
            return error_response(400, "invalid", f"limit={limit!r} is not a number from 1 to 500.",
                                  {"limit": ["A number from 1 to 500."]})
        found = osinfo.search(request.query_params.get("search", ""), int(limit))
        return Response(OsVariantSerializer([variant.as_dict() for variant in found], many=True).data)
