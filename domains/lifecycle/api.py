"""API v1: the domains a user may see, with live state, and their lifecycle actions."""

from dataclasses import asdict

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from domains.api.errors import error_response
from domains.api.views import ApiView, DomainScopedView
from domains.lifecycle.actions import do_domain_action
from domains.lifecycle.listing import DomainItem
from domains.lifecycle.pages import DomainPages
from domains.lifecycle.serializers import (
    ActionRequestSerializer,
    ActionResultSerializer,
    DomainSerializer,
)
from domains.lifecycle.undefine import do_undefine_domain
from domains.tags.actions import tags_by_domain


class DomainList(ApiView):
    serializer_class = DomainSerializer

    @extend_schema(responses=DomainSerializer(many=True), parameters=[
        OpenApiParameter("host", int, description="Host id"),
        OpenApiParameter("state", str, description="running, paused, shutoff, gone, ..."),
        OpenApiParameter("name", str, description="Part of the name"),
        OpenApiParameter("tag", str, description="Only the domains with this tag"),
    ])
    def get(self, request):
        host = request.query_params.get("host")
        if host is not None and not (host.isascii() and host.isdigit()):
            return error_response(400, "invalid", format_lazy(_("host={host} is not a host id (a whole number)."),
                                                              host=repr(host)),
                                  {"host": [_("Give a host id.")]})

        # Ordered, filtered and counted in the database; libvirt is asked about the page's domains only.
        pages = DomainPages(request.user, host=int(host) if host else None,
                            state=request.query_params.get("state") or None,
                            name=request.query_params.get("name") or None,
                            tag=request.query_params.get("tag") or None)
        return self.page_of(pages)


def _one(user, domain):
    for item in DomainPages(user, host=domain.host_id, uuid=domain.uuid)[0:1]:
        return item
    return asdict(DomainItem(domain.uuid, domain.name, domain.host_id, domain.host.name,
                             "gone" if domain.gone else "unknown", tags=tags_by_domain([domain.pk]).get(domain.pk, [])))


class DomainDetail(DomainScopedView):
    serializer_class = DomainSerializer

    def get(self, request, uuid):
        return Response(self.get_serializer(_one(request.user, self.get_object())).data)


class DomainActions(DomainScopedView):
    serializer_class = ActionRequestSerializer

    @extend_schema(request=ActionRequestSerializer, responses=ActionResultSerializer)
    def post(self, request, uuid):
        domain = self.get_object()
        data = dict(self.valid_body())
        action = data.pop("action")
        extra = {}
        if action == "undefine":
            outcome = do_undefine_domain(request.user, domain, data, self.source_address)
            message = outcome.message
            if data.get("remove_storage"):
                extra["storage"] = outcome.storage
        else:
            message = do_domain_action(request.user, domain, action, data, self.source_address)
        domain.refresh_from_db()
        return Response({"message": message, "domain": DomainSerializer(_one(request.user, domain)).data, **extra})
