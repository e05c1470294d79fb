"""API v1: a network's revision history (every define, XML edit and rollback through the console), one revision, a
diff, a rollback."""

from django.http import Http404
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from domains.access.lookups import client_address
from domains.access.permissions import route_permission
from domains.api.errors import error_response
from domains.api.views import ApiView
from domains.definitions.api import DiffSerializer, RollbackSerializer
from domains.networks.actions import do_rollback_network, ensure_first_revision
from domains.networks.inventory import network_facts
from domains.networks.lookups import visible_network
from domains.networks.models import NetworkRevision
from domains.networks.serializers import NetworkSerializer


class NetworkRevisionSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author_name", help_text="Username; empty for the definition as found")
    source = serializers.CharField(help_text="console, api, external (as libvirt held it when first seen) or "
                                             "rollback")

    class Meta:
        model = NetworkRevision
        fields = ["number", "created", "author", "source", "reason", "rollback_of"]


class NetworkRevisionDetailSerializer(NetworkRevisionSerializer):
    class Meta(NetworkRevisionSerializer.Meta):
        fields = NetworkRevisionSerializer.Meta.fields + ["xml"]


def _history(user, host_id, name):
    """The network's row, checked for network.read, with its first revision recorded if it had none."""
    row, handle = visible_network(user, host_id, name, "network.read")
    ensure_first_revision(row, handle)
    return row


def _revision(row, number):
    revision = row.revisions.numbered(number)
    if revision is None:
        raise Http404(f"Network '{row.name}' has no revision {number}.")
    return revision


@route_permission("network.read", note="on the network")
class NetworkRevisions(ApiView):
    serializer_class = NetworkRevisionSerializer

    @extend_schema(responses=NetworkRevisionSerializer(many=True), summary="The network's revisions, newest first")
    def get(self, request, host_id, name):
        return self.page_of(_history(request.user, host_id, name).revisions.newest_first())


@route_permission("network.read", note="on the network")
class NetworkRevisionDetail(ApiView):
    serializer_class = NetworkRevisionDetailSerializer

    @extend_schema(summary="One revision of the network, with its XML")
    def get(self, request, host_id, name, number):
        return Response(self.get_serializer(_revision(_history(request.user, host_id, name), number)).data)


@route_permission("network.read", note="on the network")
class NetworkRevisionDiff(ApiView):
    serializer_class = DiffSerializer

    @extend_schema(responses=DiffSerializer, summary="The diff between two revisions of the network", parameters=[
        OpenApiParameter("from", int, required=True, description="Older revision number"),
        OpenApiParameter("to", int, required=True, description="Newer revision number"),
    ])
    def get(self, request, host_id, name):
        row = _history(request.user, host_id, name)
        numbers = {}
        for key in ("from", "to"):
            value = request.query_params.get(key, "")
            if not (value.isascii() and value.isdigit()):
                return error_response(400, "invalid",
                                      format_lazy(_("{key}={value} is not a revision number."), key=key,
                                                  value=repr(value)),
                                      {key: [_("Give a revision number, e.g. 1.")]})
            numbers[key] = int(value)
        old, new = _revision(row, numbers["from"]), _revision(row, numbers["to"])
        return Response(DiffSerializer({
            "from_revision": old.number, "to_revision": new.number,
            "lines": [line.as_dict() for line in old.diff_lines(new)],
            "unified": old.unified_diff(new),
        }).data)


class NetworkRollbackResultSerializer(serializers.Serializer):
    revision = NetworkRevisionSerializer(help_text="The new revision (source rollback, rollback_of the one restored).")
    network = NetworkSerializer()
    live_unchanged = serializers.BooleanField(help_text="True when the network runs: it keeps its live "
                                                        "configuration until stopped and started again.")
    message = serializers.CharField(help_text="What changed, and what did not yet.")


@route_permission("network.write", note="on the network's host, like an XML edit")
class NetworkRevisionRollback(ApiView):
    serializer_class = RollbackSerializer

    @extend_schema(request=RollbackSerializer, responses=NetworkRollbackResultSerializer,
                   summary="Define an earlier revision's XML again (checked like new XML); a new revision records it")
    def post(self, request, host_id, name, number):
        row, handle = visible_network(request.user, host_id, name, "network.write")
        ensure_first_revision(row, handle)
        old = _revision(row, number)
        handle, revision, running = do_rollback_network(request.user, row, handle, old,
                                                        self.valid_body()["reason"],
                                                        source_address=client_address(request))
        return Response(NetworkRollbackResultSerializer({
            "revision": revision, "network": network_facts(row, handle), "live_unchanged": running,
            "message": rollback_message(row, old, revision, running)}).data)


def rollback_message(row, old, revision, running):
    """What a rollback did, for the API's answer and the page's notice."""
    done = format_lazy(_("Network '{name}' rolled back to revision {old}: its definition is now revision {new}."),
                       name=row.name, old=old.number, new=revision.number)
    if running:
        return format_lazy("{} {}", done, _("It is running and keeps its live configuration until it is stopped and "
                                            "started again."))
    return format_lazy("{} {}", done, _("It takes this definition at its next start."))
