"""API v1 of domain templates: anyone signed in lists and reads them; administrators make, change and delete them,
and turn a domain into one. Creating from one is POST /hosts/{id}/domains with "template"."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from domains.access import permissions
from domains.access.permission_names import AUTHENTICATED
from domains.access.permissions import route_permission
from domains.api.views import ApiView, DomainScopedView
from domains.domain_templates.actions import (
    PERMISSION,
    do_create_template,
    do_delete_template,
    do_template_from_domain,
    do_update_template,
)
from domains.domain_templates.models import Template
from domains.domain_templates.serializers import (
    TemplateFromDomainSerializer,
    TemplateSerializer,
)
from domains.errors import ConsoleError


def find_template(template_id):
    """The Template of this id, or 404 saying where the list is (templates are no secret: anyone signed in lists
    them)."""
    template = Template.objects.filter(pk=template_id).first()
    if template is None:
        raise ConsoleError(format_lazy(_("There is no template {id}: GET /api/v1/templates lists them."),
                                       id=template_id),
                           code="not_found", status=404)
    return template


@route_permission(GET=AUTHENTICATED, POST=PERMISSION, note="POST needs manage_templates everywhere")
class Templates(ApiView):
    serializer_class = TemplateSerializer
    queryset = Template.objects.select_related("created_by")

    @extend_schema(responses=TemplateSerializer(many=True), summary="The domain templates, a page at a time")
    def get(self, request):
        return self.page_of(self.get_queryset())

    @extend_schema(request=TemplateSerializer, responses={201: TemplateSerializer}, summary="Make a template")
    def post(self, request):
        permissions.require(request.user, PERMISSION)
        template = do_create_template(request.user, self.valid_body(), source_address=self.source_address)
        return Response(self.get_serializer(template).data, status=status.HTTP_201_CREATED)


@route_permission(GET=AUTHENTICATED, PATCH=PERMISSION, DELETE=PERMISSION,
                  note="PATCH and DELETE need manage_templates everywhere")
class TemplateDetail(ApiView):
    serializer_class = TemplateSerializer

    def get(self, request, template_id):
        return Response(self.get_serializer(find_template(template_id)).data)

    @extend_schema(request=TemplateSerializer, responses=TemplateSerializer, summary="Change a template's fields")
    def patch(self, request, template_id):
        permissions.require(request.user, PERMISSION)
        template = find_template(template_id)
        template = do_update_template(request.user, template, self.valid_body(partial=True),
                                      source_address=self.source_address)
        return Response(self.get_serializer(template).data)

    @extend_schema(responses={204: None}, summary="Delete a template (domains made from it stay)")
    def delete(self, request, template_id):
        permissions.require(request.user, PERMISSION)
        do_delete_template(request.user, find_template(template_id), source_address=self.source_address)
        return Response(status=status.HTTP_204_NO_CONTENT)


@route_permission("read", note="on the domain; and manage_templates everywhere")
class DomainTemplate(DomainScopedView):
    serializer_class = TemplateFromDomainSerializer

    @extend_schema(request=TemplateFromDomainSerializer, responses={201: TemplateSerializer},
                   summary="Turn a domain into a template: its vCPUs, memory, OS, networks, and its first pool disk "
                           "as the image a create clones (the volume itself, not a copy)")
    def post(self, request, uuid):
        domain = self.get_object("read")
        permissions.require(request.user, PERMISSION)
        body = self.valid_body()
        template = do_template_from_domain(request.user, domain, body["name"], body["description"],
                                           source_address=self.source_address)
        return Response(TemplateSerializer(template).data, status=status.HTTP_201_CREATED)
