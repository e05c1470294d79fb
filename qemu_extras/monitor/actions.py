"""Monitor and guest-agent passthrough as actions: classify, check the grant, validate, send, audit."""

import json
from dataclasses import dataclass, field

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.access import audit, permissions
from domains.access.lookups import libvirt_domain
from domains.errors import ConsoleError
from domains.libvirt import adapter, events
from domains.libvirt.adapter import VirtError, translated_errors
from qemu_extras import qemu_calls
from qemu_extras.equivalents.api_calls import equivalent_of
from qemu_extras.monitor.policy import (
    CRASHES_LIBVIRT,
    MonitorCommandError,
    classify,
    classify_agent,
    crash_path,
    parse_qmp,
)
from qemu_extras.monitor.redaction import redacted_command
from qemu_extras.taints import cache as taint_cache


class PassthroughError(ConsoleError):
    """A passthrough that was refused or failed; status is the HTTP status the API answers with."""

    def __init__(self, message, code, status=400, fields=None):
        super().__init__(message, code, status, fields or {})


@dataclass
class PassthroughResult:
    """QEMU's answer: `value` is the QMP "return" member, or the HMP text."""

    value: object
    command: str
    level: str
    equivalent: dict | None = None
    raw: dict = field(default_factory=dict)

    def as_dict(self):
        body = {"return": self.value, "command": self.command, "level": self.level}
        if self.equivalent:
            body["generic_equivalent"] = self.equivalent
        return body


def _equivalent(classification):
    entry = equivalent_of(classification)
    if entry is None:
        return None
    return {"api": entry.api, "python": entry.python, "since": entry.since, "note": entry.note}


def check_against_schema(schema, name, arguments):
    """Refuse a QMP command the running QEMU does not know, or arguments it would refuse."""
    command = schema.commands.get(name)
    if command is None:
        raise PassthroughError(format_lazy(
            _("QEMU on this domain has no QMP command '{name}'. Its commands are listed by "
              '{{"execute": "query-commands"}}; HMP commands need "hmp": true.'), name=name),
            "unknown_command", fields={"command": [name]})
    missing = sorted(command.required - set(arguments))
    if missing:
        raise PassthroughError(format_lazy(
            _("'{name}' needs the argument(s) {missing}; add them to \"arguments\"."), name=name,
            missing=", ".join(missing)),
            "missing_argument", fields={"arguments": missing})
    unknown = [] if command.open_ended else sorted(set(arguments) - command.arguments)
    if unknown:
        known = ", ".join(sorted(command.arguments)) or _("none")
        raise PassthroughError(format_lazy(
            _("'{name}' takes no argument(s) {unknown}; it takes: {known}."), name=name,
            unknown=", ".join(unknown), known=known),
            "unknown_argument", fields={"arguments": unknown})


def _running(domain):
    dom = libvirt_domain(domain)
    # The lookup's handle carries the domain's id, -1 while it is shut off: no second round trip to ask.
    with translated_errors():
        active = dom.ID() != -1
    if not active:
        raise PassthroughError(format_lazy(
            _("'{name}' is not running: QEMU, its monitor and its guest agent exist only while the domain runs. "
              "Start it first."), name=domain.name), "not_running", status=409)
    return dom


class RunningHandles:
    """The virDomain handles of running domains, kept from one passthrough command to the next (process-wide).

    Looking a domain up is a libvirt round trip, a third of a monitor command's own time. A handle is kept only
    while its domain runs and its host's connection is the one it came from. libvirt's lifecycle events for the
    domain (stopped, started: another QEMU, maybe another QMP schema; undefined) drop it, as does any libvirt
    error, so the next command looks the domain up again. A command that races the stop's event gets the
    refusal a lookup gives, through failed().
    """

    def __init__(self):
        self._handles = {}  # (host id, uuid text) -> virDomain
        self._generation = 0  # moves on each lifecycle event: a lookup that raced one is not kept

    def running(self, domain):
        """The domain's virDomain; PassthroughError when the domain does not run."""
        key = (domain.host_id, str(domain.uuid))
        dom = self._handles.get(key)
        if dom is not None and dom.connect() is adapter.connection_for(domain.host).get():
            return dom
        events.subscribe(self._on_event)  # once, before the first handle is kept
        generation = self._generation
        dom = _running(domain)
        if generation == self._generation:
            self._handles[key] = dom
        return dom

    def failed(self, domain):
        """After a libvirt error: drop the handle, and refuse as a lookup does if the domain stopped meanwhile."""
        self._handles.pop((domain.host_id, str(domain.uuid)), None)
        _running(domain)

    def _on_event(self, event):
        # On libvirt's event loop thread.
        if event.get("type") == "domain.lifecycle":
            self._generation += 1
            self._handles.pop((event.get("host"), event.get("uuid")), None)


running_handles = RunningHandles()


def _require_all(user, classification, domain, action, params, source_address):
    for permission in classification.permissions:
        audit.require(user, permission, domain, action, {**params, "reason": classification.reason},
                      source_address, outcome=f"denied: needs {permission}")


def _classify(user, domain, action, classify_call, params, source_address):
    try:
        return classify_call()
    except MonitorCommandError as exc:
        # Only someone who may use the monitor at all learns that the text was malformed.
        permissions.require(user, "monitor_read", domain)
        audit.record(user, action, domain, params, outcome=format_lazy("invalid: {}", exc),
                     source_address=source_address)
        raise PassthroughError(exc.args[0], "invalid_command") from exc


def _refuse_nul(text):
    """Refuse a command holding a NUL character: libvirt takes it as a C string, which would end at the first."""
    if "\x00" in text:
        raise PassthroughError(_("The command holds a NUL character, which QEMU's monitor and agent cannot take: "
                                 "remove it."), "invalid", fields={"command": [_("no NUL character")]})


def _refuse_crash_path(classification):
    """Refuse a command known to crash libvirt's QEMU driver, naming libvirt's own call for the same job."""
    name = crash_path(classification)
    if name is None:
        return
    equivalent, permission = CRASHES_LIBVIRT[name]
    raise PassthroughError(format_lazy(
        _("'{name}' is refused through the monitor: libvirt's QEMU driver crashes when QEMU reports the dump done "
          "(on the embedded host that takes the whole console down; elsewhere libvirtd). Use libvirt's own call "
          "instead, which runs the dump under a libvirt job: {equivalent}; it needs the '{permission}' "
          "permission."), name=name, equivalent=equivalent, permission=permission),
        "crashes_libvirt", status=409, fields={"command": [name], "generic_equivalent": [equivalent]})


def do_monitor_command(user, domain, text, hmp=False, source_address=None, deliver=None):
    """Run one QMP (JSON text) or HMP command on domain as user; returns a PassthroughResult.

    Raises Http404 / permissions.PermissionDenied when the user may not, PassthroughError
    when the command is refused or QEMU answers with an error. The audit log gets the
    intent (committed before the call, so a crash inside libvirt still leaves it) and
    then the outcome; a refusal before the call is one entry.

    A socket passes deliver(result), called once QEMU answered well and before the outcome
    is written: the answer goes out while this thread writes the outcome, which is still
    done before this returns, so before the socket's next command.
    """
    action = "qemu.monitor"
    params = {"command": redacted_command(text, hmp), "hmp": bool(hmp)}
    classification = _classify(user, domain, action, lambda: classify(text, hmp), params, source_address)
    params.update(classified_as=classification.command_name, level=classification.level)
    _require_all(user, classification, domain, action, params, source_address)
    intent = None
    try:
        _refuse_nul(text)
        _refuse_crash_path(classification)
        dom = running_handles.running(domain)
        if not hmp:
            name, arguments = parse_qmp(text)
            check_against_schema(qemu_calls.qmp_schema(domain, dom), name, arguments)
        intent = audit.record_intent(user, action, domain, params, source_address)
        reply = qemu_calls.monitor_command(dom, text, hmp)
    except PassthroughError as exc:
        audit.record(user, action, domain, params, outcome=format_lazy("refused: {}", exc.message),
                     source_address=source_address)
        raise
    except VirtError as exc:
        _outcome(intent, user, action, domain, params, format_lazy("failed: {}", exc.message), source_address)
        running_handles.failed(domain)
        raise
    finally:
        # Anything that reached QEMU taints the domain in libvirt (custom-monitor).
        taint_cache.forget(domain.host_id, domain.uuid)
    result = PassthroughResult(reply, classification.command_name, classification.level, _equivalent(classification))
    if not hmp:
        result.raw = json.loads(reply)
        if "error" in result.raw:
            error = result.raw["error"]
            _outcome(intent, user, action, domain, params, f"qemu error: {error.get('desc')}", source_address)
            raise PassthroughError(format_lazy(_("QEMU: {description} ({error_class})"), description=error.get("desc"),
                                               error_class=error.get("class")),
                                   "qemu_error", status=422, fields={"error": error})
        result.value = result.raw.get("return")
    if deliver is not None:
        deliver(result)
    _outcome(intent, user, action, domain, params, "ok", source_address)
    return result


def _outcome(intent, user, action, domain, params, outcome, source_address):
    """The outcome entry: after an intent, pointing back at it; without one (failed before the call), alone."""
    if intent is None:
        audit.record(user, action, domain, params, outcome=outcome, source_address=source_address)
    else:
        audit.record_outcome(intent, user, domain, outcome, params, source_address)


def do_agent_command(user, domain, text, timeout=qemu_calls.AGENT_TIMEOUT_DEFAULT, source_address=None,
                     deliver=None):
    """Run one guest-agent command (JSON text) on domain as user; returns a PassthroughResult (audited and
    delivered as above)."""
    action = "qemu.agent"
    params = {"command": redacted_command(text, hmp=False), "timeout": timeout}
    classification = _classify(user, domain, action, lambda: classify_agent(text), params, source_address)
    params.update(classified_as=classification.command_name, level=classification.level)
    _require_all(user, classification, domain, action, params, source_address)
    intent = None
    try:
        _refuse_nul(text)
        dom = running_handles.running(domain)
        intent = audit.record_intent(user, action, domain, params, source_address)
        reply = qemu_calls.agent_command(dom, text, timeout)
    except qemu_calls.AgentUnavailable as exc:
        _outcome(intent, user, action, domain, params, "agent not connected", source_address)
        running_handles.failed(domain)
        raise PassthroughError(exc.message, "agent_not_connected", status=409) from exc
    except PassthroughError as exc:
        audit.record(user, action, domain, params, outcome=format_lazy("refused: {}", exc.message),
                     source_address=source_address)
        raise
    except VirtError as exc:
        _outcome(intent, user, action, domain, params, format_lazy("failed: {}", exc.message), source_address)
        running_handles.failed(domain)
        raise PassthroughError(format_lazy(_("The guest agent refused the command: {error}"), error=exc.message),
                               "agent_error", status=422) from exc

    finally:
        taint_cache.forget(domain.host_id, domain.uuid)
    raw = json.loads(reply)
    result = PassthroughResult(raw.get("return"), classification.command_name, classification.level, raw=raw)
    if deliver is not None:
        deliver(result)
    _outcome(intent, user, action, domain, params, "ok", source_address)
    return result
