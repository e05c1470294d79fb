"""API v1: a domain's XML, validation, revisions (list, diff, rollback), create from XML, structured PATCH."""

from django.http import Http404
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from domains.access.permission_names import AUTHENTICATED
from domains.access.permissions import route_permission
from domains.api.errors import error_response
from domains.api.views import ApiView, DomainScopedView, HostScopedView
from domains.definitions.actions import (
    do_define,
    do_rollback,
    ensure_first_revision,
    latest_revision,
)
from domains.definitions.fields import do_change_fields
from domains.definitions.models import DefinitionRevision, RevisionSource
from domains.definitions.xml import validate
from domains.definitions.xml.edits import BOOT_DEVICES
from domains.lifecycle.api import DomainDetail, _one
from domains.lifecycle.serializers import DomainSerializer


class IssueSerializer(serializers.Serializer):
    line = serializers.IntegerField(allow_null=True)
    column = serializers.IntegerField(allow_null=True)
    message = serializers.CharField()
    path = serializers.CharField(allow_null=True, help_text="The element's XPath, e.g. /domain/devices/disk[2]")


class XmlDefinitionSerializer(serializers.Serializer):
    xml = serializers.CharField(trim_whitespace=False, help_text="A libvirt <domain> definition")
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class ValidateXmlSerializer(serializers.Serializer):
    xml = serializers.CharField(trim_whitespace=False, allow_blank=True)


class ValidateResultSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    errors = IssueSerializer(many=True)


class RevisionSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author_name", help_text="Username; empty for external changes")
    source = serializers.CharField(help_text="console, api, external, rollback, create or import")

    class Meta:
        model = DefinitionRevision
        fields = ["number", "created", "author", "source", "reason", "rollback_of", "name", "title", "vcpus",
                  "max_vcpus", "memory_kib", "max_memory_kib", "disk_count", "nic_count"]


class RevisionDetailSerializer(RevisionSerializer):
    class Meta(RevisionSerializer.Meta):
        fields = RevisionSerializer.Meta.fields + ["xml"]


class DomainXmlSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    revision = serializers.IntegerField(allow_null=True, help_text="The latest stored revision's number")
    xml = serializers.CharField(help_text="The persistent definition, without secrets")


class DefinitionResultSerializer(serializers.Serializer):
    uuid = serializers.UUIDField(source="domain.uuid")
    changed = serializers.BooleanField(help_text="False when the definition was already like this")
    revision = RevisionSerializer()


class DiffLineSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["header", "add", "remove", "context"])
    text = serializers.CharField(allow_blank=True)


class DiffSerializer(serializers.Serializer):
    from_revision = serializers.IntegerField()
    to_revision = serializers.IntegerField()
    lines = DiffLineSerializer(many=True)
    unified = serializers.CharField(allow_blank=True)


class RollbackSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class DomainFieldsSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, allow_blank=True, allow_null=True, trim_whitespace=False)
    description = serializers.CharField(required=False, allow_blank=True, allow_null=True, trim_whitespace=False)
    vcpus = serializers.IntegerField(required=False, min_value=1, help_text="vCPUs online")
    max_vcpus = serializers.IntegerField(required=False, min_value=1)
    memory_kib = serializers.IntegerField(required=False, min_value=1, help_text="Current memory")
    max_memory_kib = serializers.IntegerField(required=False, min_value=1)
    boot_order = serializers.ListField(child=serializers.ChoiceField(choices=BOOT_DEVICES), required=False)
    boot_menu = serializers.BooleanField(required=False)
    boot_menu_timeout_ms = serializers.IntegerField(required=False, min_value=0, max_value=65535, allow_null=True)
    autostart = serializers.BooleanField(required=False)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


def _revision(domain, number):
    revision = domain.revisions.numbered(number)
    if revision is None:
        raise Http404("No such revision.")
    return revision


@route_permission(GET="read", PUT="write", note="on the domain")
class DomainXml(DomainScopedView):
    serializer_class = XmlDefinitionSerializer

    @extend_schema(responses=DomainXmlSerializer)
    def get(self, request, uuid):
        domain = self.get_object("read")
        latest = ensure_first_revision(domain) if not domain.gone else latest_revision(domain)
        if latest is None:
            return error_response(404, "not_found", format_lazy(_("Domain '{name}' has no stored definition."),
                                                                name=domain.name))
        return Response(DomainXmlSerializer({"uuid": domain.uuid, "revision": latest.number, "xml": latest.xml}).data)

    @extend_schema(request=XmlDefinitionSerializer, responses=DefinitionResultSerializer)
    def put(self, request, uuid):
        domain = self.get_object()
        body = self.valid_body()
        change = do_define(request.user, domain, body["xml"], body["reason"], RevisionSource.API, self.source_address)
        return Response(DefinitionResultSerializer(change).data)


@route_permission(AUTHENTICATED, note="checks XML only; defines nothing")
class ValidateXml(ApiView):
    serializer_class = ValidateXmlSerializer

    @extend_schema(request=ValidateXmlSerializer, responses=ValidateResultSerializer)
    def post(self, request):
        issues = [issue.as_dict() for issue in validate(self.valid_body()["xml"])]
        return Response(ValidateResultSerializer({"valid": not issues, "errors": issues}).data)


@route_permission("read", note="on the domain")
class RevisionList(DomainScopedView):
    serializer_class = RevisionSerializer

    @extend_schema(responses=RevisionSerializer(many=True))
    def get(self, request, uuid):
        domain = self.get_object("read")
        if not domain.gone:
            ensure_first_revision(domain)
        return self.page_of(domain.revisions.newest_first())


@route_permission("read", note="on the domain")
class RevisionDetail(DomainScopedView):
    serializer_class = RevisionDetailSerializer

    def get(self, request, uuid, number):
        domain = self.get_object("read")
        return Response(self.get_serializer(_revision(domain, number)).data)


@route_permission("read", note="on the domain")
class RevisionDiff(DomainScopedView):
    serializer_class = DiffSerializer

    @extend_schema(responses=DiffSerializer, parameters=[
        OpenApiParameter("from", int, required=True, description="Older revision number"),
        OpenApiParameter("to", int, required=True, description="Newer revision number"),
    ])
    def get(self, request, uuid):
        domain = self.get_object("read")
        numbers = {}
        for key in ("from", "to"):
            value = request.query_params.get(key, "")
            if not (value.isascii() and value.isdigit()):
                return error_response(400, "invalid", format_lazy(_("{key}={value} is not a revision number."),
                                                                  key=key, value=repr(value)),
                                      {key: [_("Give a revision number, e.g. 1.")]})
            numbers[key] = int(value)
        old, new = _revision(domain, numbers["from"]), _revision(domain, numbers["to"])
        return Response(DiffSerializer({
            "from_revision": old.number, "to_revision": new.number,
            "lines": [line.as_dict() for line in old.diff_lines(new)],
            "unified": old.unified_diff(new),
        }).data)


@route_permission("write", note="on the domain")
class RevisionRollback(DomainScopedView):
    serializer_class = RollbackSerializer

    @extend_schema(request=RollbackSerializer, responses=DefinitionResultSerializer)
    def post(self, request, uuid, number):
        domain = self.get_object()
        change = do_rollback(request.user, domain, _revision(domain, number), self.valid_body()["reason"],
                             source_address=self.source_address)
        return Response(DefinitionResultSerializer(change).data)


@route_permission("define_domains", note="on the host")
class HostDomains(HostScopedView):
    serializer_class = XmlDefinitionSerializer

    @extend_schema(request=XmlDefinitionSerializer, responses={201: DefinitionResultSerializer})
    def post(self, request, host_id):
        host = self.get_object()
        body = self.valid_body()
        change = do_define(request.user, host, body["xml"], body["reason"], RevisionSource.IMPORT, self.source_address)
        return Response(DefinitionResultSerializer(change).data, status=status.HTTP_201_CREATED)


@route_permission(GET="getattr", PATCH="write", note="on the domain")
class DomainDetailWithPatch(DomainDetail):
    """A domain; PATCH changes its structured definition fields, leaving the rest of its XML as it was."""

    @extend_schema(request=DomainFieldsSerializer, responses=DomainSerializer)
    def patch(self, request, uuid):
        domain = self.get_object()
        fields = dict(self.valid_body(DomainFieldsSerializer, partial=True))
        reason = fields.pop("reason", "")
        do_change_fields(request.user, domain, fields, reason, RevisionSource.API, self.source_address)
        domain.refresh_from_db()
        return Response(DomainSerializer(_one(request.user, domain)).data)
