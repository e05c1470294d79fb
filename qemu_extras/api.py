"""REST endpoints of the QEMU extras under /api/qemu/v1/ (outside the stable v1 contract)."""

from dataclasses import asdict
from pathlib import Path

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework.response import Response
from rest_framework.views import APIView

from domains.access.lookups import libvirt_domain
from domains.access.permissions import route_permission
from domains.api.errors import error_response
from domains.api.views import DomainScopedView
from domains.definitions.models import RevisionSource
from domains.definitions.xml import DefinitionError, parse
from domains.errors import ConsoleError
from domains.libvirt.adapter import translated_errors
from qemu_extras.equivalents import registry as generic_equivalents
from qemu_extras.monitor.actions import (
    PassthroughError,
    do_agent_command,
    do_monitor_command,
)
from qemu_extras.namespace import changes as definition_changes
from qemu_extras.namespace.edits import OverrideProperty, QemuNamespace, read_namespace
from qemu_extras.taints import cache as taint_cache
from qemu_extras.taints.explanations import explain_all
from qemu_extras.version import (
    EXTRAS_API_PREFIX,
    EXTRAS_API_VERSION,
    EXTRAS_WS_SUBPROTOCOL,
)

POLICY_TEXT = (Path(__file__).parent / "POLICY.md").read_text()
MONITOR_NOTE = ("monitor_read, monitor_write, monitor_admin or the host-level monitor_host, as the command policy "
                "classifies the command")


def _text(data, name):
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise PassthroughError(format_lazy(_('Give "{name}" as a non-empty string.'), name=name), "invalid",
                               fields={name: [_("required")]})
    return value


@route_permission("monitor_read", note=MONITOR_NOTE)
class MonitorCommand(DomainScopedView):
    def post(self, request, uuid):
        domain = self.get_object()
        result = do_monitor_command(request.user, domain, _text(request.data, "command"),
                                    bool(request.data.get("hmp", False)), self.source_address)
        return Response(result.as_dict())


@route_permission("agent", note="plus monitor_read, monitor_write or monitor_admin as the agent policy says")
class AgentCommand(DomainScopedView):
    def post(self, request, uuid):
        domain = self.get_object()
        timeout = request.data.get("timeout", 5)
        if not isinstance(timeout, int) or isinstance(timeout, bool):
            raise PassthroughError(_('"timeout" is a whole number of seconds (0 to 60).'), "invalid",
                                   fields={"timeout": [_("a whole number")]})
        result = do_agent_command(request.user, domain, _text(request.data, "command"), timeout,
                                  self.source_address)
        return Response(result.as_dict())


@route_permission("read")
class Taints(DomainScopedView):
    def get(self, request, uuid):
        domain = self.get_object("read")
        dom = libvirt_domain(domain)
        with translated_errors():
            running = bool(dom.isActive())
        messages = taint_cache.messages_of(domain.host_id, domain.uuid, dom) if running else []
        return Response({"running": running, "messages": [asdict(m) for m in explain_all(messages)]})


def _rewrite_dict(index, change):
    return {"index": index, "description": change.description, "digest": change.old_digest,
            "diff": change.diff_text}


@route_permission("read")
class Extras(DomainScopedView):
    def get(self, request, uuid):
        domain = self.get_object("read")
        xml = definition_changes.inactive_xml(domain)
        version = definition_changes.libvirt_version(domain)
        extras = generic_equivalents.find_extras(xml, version)
        rewrites = definition_changes.propose_rewrites(domain, xml)
        return Response({"libvirt_version": generic_equivalents.version_text(version),
                         "extras": [asdict(e) for e in extras],
                         "rewrites": [_rewrite_dict(i, c) for i, c in enumerate(rewrites)]})


@route_permission("write")
class Rewrites(DomainScopedView):
    def post(self, request, uuid):
        domain = self.get_object("write")
        index = request.data.get("index")
        if not isinstance(index, int) or isinstance(index, bool):
            return error_response(400, "invalid", _('Give "index": the number of the rewrite from GET …/extras.'),
                                  {"index": [_("a whole number")]})
        change = definition_changes.do_apply_rewrite(request.user, domain, index, self.source_address,
                                                     request.data.get("digest") or None, RevisionSource.API)
        return Response({"applied": change.description, "diff": change.diff_text})


def _strings(data, name):
    value = data.get(name, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise DefinitionError(format_lazy(_('"{name}" must be a list of strings.'), name=name))
    return value


def namespace_from(data):
    """A QemuNamespace from an API body; DefinitionError naming the bad field."""
    env = data.get("env", [])
    if not isinstance(env, list) or not all(
            isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)
            and (pair[1] is None or isinstance(pair[1], str)) for pair in env):
        raise DefinitionError(_('"env" must be a list of [name, value] pairs.'))
    overrides = data.get("overrides", [])
    if not isinstance(overrides, list) or not all(isinstance(o, dict) for o in overrides):
        raise DefinitionError(_('"overrides" must be a list of {alias, name, type, value} objects.'))
    deprecation = data.get("deprecation", "") or ""
    if not isinstance(deprecation, str):
        raise DefinitionError(_('"deprecation" must be a string.'))

    return QemuNamespace(
        args=_strings(data, "args"), env=[tuple(pair) for pair in env],
        capabilities_add=_strings(data, "capabilities_add"), capabilities_del=_strings(data, "capabilities_del"),
        overrides=[OverrideProperty(str(o.get("alias", "")), str(o.get("name", "")), str(o.get("type", "string")),
                                    None if o.get("value") is None else str(o.get("value"))) for o in overrides],
        deprecation=deprecation,
    )


def namespace_dict(namespace):
    body = asdict(namespace)
    body["env"] = [list(pair) for pair in namespace.env]
    return body


@route_permission(GET="read", POST=("monitor_admin", "write"),
                  note="POST with dry_run needs write; defining needs monitor_admin and write: raw QEMU "
                       "arguments are as strong as any monitor command")
class CommandLine(DomainScopedView):
    def get(self, request, uuid):
        domain = self.get_object("read")
        xml = definition_changes.inactive_xml(domain)
        return Response({**namespace_dict(read_namespace(parse(xml))), "digest": definition_changes.digest(xml)})

    def post(self, request, uuid):
        """Body as GET answers; "dry_run": true only checks and answers the diff."""
        dry_run = bool(request.data.get("dry_run"))
        domain = self.get_object("write" if dry_run else "getattr")
        try:
            namespace = namespace_from(request.data)
            if dry_run:
                change = definition_changes.propose_namespace(domain, namespace)
                return Response({"defined": False, "diff": change.diff_text, "digest": change.old_digest})
            change = definition_changes.do_set_namespace(request.user, domain, namespace, self.source_address,
                                                         request.data.get("digest") or None, RevisionSource.API)
        except DefinitionError as exc:
            # This API has always answered a bad namespace as "invalid", without the XML problem list.
            raise ConsoleError(exc.message, "invalid") from exc
        return Response({"defined": change.changed, "diff": change.diff_text})


@route_permission("authenticated")
class Version(APIView):
    def get(self, request):
        return Response({"version": EXTRAS_API_VERSION, "prefix": EXTRAS_API_PREFIX,
                         "websocket_subprotocol": EXTRAS_WS_SUBPROTOCOL, "policy": POLICY_TEXT})
