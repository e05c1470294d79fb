"""API v1: a host's libvirt daemon: desired and live settings, drift, clients, revisions; change, disconnect, TLS."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from domains.access.permissions import route_permission
from domains.api.views import HostScopedView
from domains.daemon.actions import (
    DAEMON_SEEN_THROUGH,
    do_apply_daemon_settings,
    do_disconnect_client,
    do_reload_tls,
    read_daemon,
    revisions_of,
)
from domains.daemon.admin.ctypes_binding import UINT_MAX
from domains.daemon.models import DaemonSettingsRevision


def _count(help_text=""):
    return serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=UINT_MAX,
                                    help_text=help_text or "null stops managing it")


class DaemonThreadPoolSerializer(serializers.Serializer):
    min_workers = _count()
    max_workers = _count()
    prio_workers = _count()


class DaemonClientLimitsSerializer(serializers.Serializer):
    max_clients = _count()
    max_unauth_clients = _count()


class DaemonLoggingSerializer(serializers.Serializer):
    filters = serializers.CharField(required=False, allow_null=True, allow_blank=True, trim_whitespace=False,
                                    help_text='e.g. "3:qemu 1:util.json"; "" removes all filters; null: not managed')
    outputs = serializers.CharField(required=False, allow_null=True, allow_blank=True, trim_whitespace=False,
                                    help_text='e.g. "3:file:/var/log/libvirt/libvirtd.log"; "" is the default')


class DaemonSettingsSerializer(serializers.Serializer):
    server = serializers.CharField(required=False,
                                   help_text="The daemon server the groups apply to; libvirtd if left out")
    threadpool = DaemonThreadPoolSerializer(required=False)
    client_limits = DaemonClientLimitsSerializer(required=False)
    logging = DaemonLoggingSerializer(required=False)
    daemon_timeout = _count("Seconds without clients before the daemon exits; 0 never; null stops managing it")

    def validate(self, attrs):
        unknown = sorted(set(self.initial_data) - set(self.fields)) if isinstance(self.initial_data, dict) else []
        if unknown:
            known = format_lazy(_("Unknown setting: known are {known}."), known=", ".join(self.fields))
            raise serializers.ValidationError({name: [known] for name in unknown})
        return attrs


class DaemonDriftSerializer(serializers.Serializer):
    path = serializers.CharField(help_text="e.g. servers.libvirtd.threadpool.max_workers")
    desired = serializers.JSONField()
    live = serializers.JSONField(allow_null=True)


class DaemonClientSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    transport = serializers.CharField(help_text="unix, tcp or tls")
    connected_at = serializers.DateTimeField()
    readonly = serializers.BooleanField(allow_null=True)
    identity = serializers.DictField(help_text="unix user/group/process, TLS DN, SASL user: what the daemon reports")


class DaemonSettingChangeSerializer(serializers.Serializer):
    path = serializers.CharField()
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)


class DaemonSerializer(serializers.Serializer):
    desired = serializers.DictField(help_text="The managed settings; a key left out is not managed")
    revision = serializers.IntegerField(allow_null=True, help_text="The latest revision's number")
    admin_uri = serializers.CharField(allow_null=True, help_text="e.g. libvirtd:///system; null: no admin interface")
    reachable = serializers.BooleanField()
    error = serializers.CharField(allow_null=True, help_text="Why the daemon cannot be read, if it cannot")
    daemon_version = serializers.CharField(allow_null=True)
    live = serializers.DictField(allow_null=True, help_text="servers (thread pool, client limits and counts), logging")
    drift = DaemonDriftSerializer(many=True)
    clients = serializers.DictField(child=DaemonClientSerializer(many=True), help_text="Connected clients per server")


class DaemonAfterChangeSerializer(DaemonSerializer):
    changes = DaemonSettingChangeSerializer(many=True,
                                            help_text="What this request changed on the daemon; [] when nothing")


class DaemonRevisionSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author_name", help_text="Username; empty when the console re-applied")
    reason = serializers.CharField(help_text="console, api or reapplied-after-restart")
    changes = DaemonSettingChangeSerializer(many=True, source="changed")

    class Meta:
        model = DaemonSettingsRevision
        fields = ["number", "created", "author", "reason", "desired", "changes"]


class DaemonServerSerializer(serializers.Serializer):
    server = serializers.CharField(required=False, help_text="libvirtd if left out")


class DaemonMessageSerializer(serializers.Serializer):
    message = serializers.CharField()


class HostDaemonView(HostScopedView):
    # A host's daemon: a grant of daemon_read alone shows it, no getattr on the host needed.
    seen_through = DAEMON_SEEN_THROUGH


@route_permission(GET="daemon_read", PATCH="daemon_write", note="on the host")
class HostDaemon(HostDaemonView):
    serializer_class = DaemonSettingsSerializer

    @extend_schema(responses=DaemonSerializer)
    def get(self, request, host_id):
        host = self.get_object("daemon_read")
        return Response(DaemonSerializer(read_daemon(request.user, host)).data)

    @extend_schema(request=DaemonSettingsSerializer, responses=DaemonAfterChangeSerializer)
    def patch(self, request, host_id):
        host = self.get_object("daemon_write")
        patch = {key: dict(value) if isinstance(value, dict) else value for key, value in self.valid_body().items()}
        revision = do_apply_daemon_settings(request.user, host, patch, self.source_address)
        answer = {**read_daemon(request.user, host), "changes": revision.changed if revision else []}
        return Response(DaemonAfterChangeSerializer(answer).data)


@route_permission("daemon_read", note="on the host")
class HostDaemonRevisions(HostDaemonView):
    serializer_class = DaemonRevisionSerializer

    @extend_schema(responses=DaemonRevisionSerializer(many=True))
    def get(self, request, host_id):
        host = self.get_object("daemon_read")
        return self.page_of(revisions_of(request.user, host))


@route_permission("daemon_write", note="on the host")
class HostDaemonClientDisconnect(HostDaemonView):
    serializer_class = DaemonServerSerializer

    @extend_schema(request=DaemonServerSerializer, responses=DaemonMessageSerializer)
    def post(self, request, host_id, client_id):
        host = self.get_object("daemon_write")
        server = self.valid_body().get("server")
        do_disconnect_client(request.user, host, server, client_id, self.source_address)
        return Response({"message": format_lazy(_("Client {client} of server {server} was disconnected."),
                                                client=client_id, server=server or "libvirtd")})


@route_permission("daemon_write", note="on the host")
class HostDaemonTlsReload(HostDaemonView):
    serializer_class = DaemonServerSerializer

    @extend_schema(request=DaemonServerSerializer, responses=DaemonMessageSerializer)
    def post(self, request, host_id):
        host = self.get_object("daemon_write")
        server = self.valid_body().get("server")
        do_reload_tls(request.user, host, server, self.source_address)
        return Response({"message": format_lazy(_("Server {server} re-read its TLS certificates."),
                                                server=server or "libvirtd")})
