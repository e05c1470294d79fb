"""API v1: a domain's tags (GET, PUT the whole list)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from domains.access.permissions import route_permission
from domains.api.errors import error_response
from domains.api.views import DomainScopedView
from domains.tags.actions import do_set_tags, tags_by_domain


class TagsSerializer(serializers.Serializer):
    tags = serializers.ListField(child=serializers.CharField(), help_text=(
        "Lower-case words (a-z, digits, '.', '_', '-'; at most 40 characters, at most 20 tags), sorted; a PUT "
        "replaces the whole list, so [] removes every tag."))


@route_permission(GET="getattr", PUT="write", note="on the domain")
class DomainTags(DomainScopedView):
    serializer_class = TagsSerializer

    def get(self, request, uuid):
        domain = self.get_object()
        return Response({"tags": tags_by_domain([domain.pk]).get(domain.pk, [])})

    @extend_schema(request=TagsSerializer, responses=TagsSerializer)
    def put(self, request, uuid):
        domain = self.get_object()
        if not isinstance(request.data, dict) or "tags" not in request.data:
            return error_response(400, "invalid", _('Send {"tags": ["web", ...]}: the whole list of the domain\'s '
                                                    'tags.'), {"tags": [_("This field is required.")]})
        return Response({"tags": do_set_tags(request.user, domain, request.data["tags"], self.source_address)})
