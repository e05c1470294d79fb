"""The extras' own thin adapter over libvirt_qemu: monitor and agent passthrough, QMP events, the QMP schema."""

import json
import logging
import threading
from dataclasses import dataclass, field

import libvirt
import libvirt_qemu
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.libvirt import adapter as libvirt_adapter
from domains.libvirt import events as libvirt_events
from domains.libvirt.adapter import VirtError, translated_errors

log = logging.getLogger(__name__)

HMP = libvirt_qemu.VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP
AGENT_TIMEOUT_DEFAULT = 5  # seconds; libvirt_qemu also takes -2 (default), -1 (block), 0 (no wait)
AGENT_TIMEOUT_MAX = 60

# libvirt reports a missing or silent agent with these codes (the second is newer than some bindings).
_AGENT_DOWN = {libvirt.VIR_ERR_AGENT_UNRESPONSIVE, getattr(libvirt, "VIR_ERR_AGENT_COMMAND_TIMEOUT", 107)}
AGENT_NOT_CONNECTED = _(
    "The guest agent of '{name}' is not connected: no qemu-ga answers inside the guest. "
    "Install and start qemu-guest-agent in the guest (the domain needs an "
    "<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>), then try again. "
    "(libvirt: {error})"
)


class AgentUnavailable(VirtError):
    """The guest agent is not there or did not answer in time: a state, not a failure of the console."""

    def __str__(self):
        return str(self.message)  # lazy: said in the reader's language



def monitor_command(dom, text, hmp):
    """QEMU's raw reply (JSON text for QMP, plain text for HMP) to one monitor command."""
    with translated_errors():
        return libvirt_qemu.qemuMonitorCommand(dom, text, HMP if hmp else 0)


def agent_command(dom, text, timeout=AGENT_TIMEOUT_DEFAULT):
    """The guest agent's raw JSON reply; AgentUnavailable when no agent answers."""
    timeout = max(0, min(int(timeout), AGENT_TIMEOUT_MAX))
    try:
        with translated_errors():
            return libvirt_qemu.qemuAgentCommand(dom, text, timeout, 0)
    except VirtError as exc:
        if exc.code in _AGENT_DOWN:
            raise AgentUnavailable(format_lazy(AGENT_NOT_CONNECTED, name=dom.name(), error=exc.message),
                                   exc.code) from exc

        raise


# --- the QMP schema of the running QEMU (query-qmp-schema), cached per boot ---


@dataclass(frozen=True)
class CommandSchema:
    """The arguments one QMP command takes: all names, the required ones, and whether it takes any."""

    name: str
    arguments: frozenset
    required: frozenset
    open_ended: bool = False  # a union or 'any' argument type: only required names can be checked


@dataclass
class QmpSchema:
    commands: dict = field(default_factory=dict)
    events: list = field(default_factory=list)

    @property
    def command_names(self):
        return sorted(self.commands)


def _members(types, type_name, seen=()):
    """(all member names, required names, open_ended) of an object type, variants included."""
    entry = types.get(type_name)
    if entry is None or entry.get("meta-type") != "object":
        return set(), set(), entry is not None
    names, required = set(), set()
    for member in entry.get("members", ()):
        names.add(member["name"])
        # query-qmp-schema marks optional members with a "default" key.
        if "default" not in member:
            required.add(member["name"])
    open_ended = False
    for variant in entry.get("variants", ()):
        if variant["type"] in seen:
            continue
        variant_names, _required, variant_open = _members(types, variant["type"], (*seen, type_name))
        names |= variant_names
        open_ended = open_ended or variant_open
    return names, required, open_ended


def parse_schema(entries):
    """A QmpSchema from the "return" list of query-qmp-schema."""
    types = {entry["name"]: entry for entry in entries}
    schema = QmpSchema()
    for entry in entries:
        if entry.get("meta-type") == "command":
            names, required, open_ended = _members(types, entry.get("arg-type", ""))
            schema.commands[entry["name"]] = CommandSchema(entry["name"], frozenset(names), frozenset(required),
                                                           open_ended)
        elif entry.get("meta-type") == "event":
            schema.events.append(entry["name"])
    schema.events.sort()
    return schema


_schemas = {}
_schemas_lock = threading.Lock()


def qmp_schema(domain, dom):
    """The QmpSchema of the QEMU running domain, fetched once per boot (keyed by the domain's id)."""
    with translated_errors():
        boot = dom.ID()
    key = (domain.host_id, str(domain.uuid))
    with _schemas_lock:
        cached = _schemas.get(key)
    if cached is not None and cached[0] == boot:
        return cached[1]
    reply = json.loads(monitor_command(dom, '{"execute": "query-qmp-schema"}', hmp=False))
    if "return" not in reply:
        raise VirtError(format_lazy(_("QEMU did not give its QMP schema: {error}"), error=reply.get("error", reply)))
    schema = parse_schema(reply["return"])
    with _schemas_lock:
        _schemas[key] = (boot, schema)
    return schema


# --- QMP events (qemuMonitorEventRegister) ---

def _on_loop(function):
    """Run function on libvirt's event loop (event registration touches its state) and return its value."""
    loop = libvirt_events.ensure_event_loop()
    result, done = {}, threading.Event()

    def run():
        try:
            result["value"] = function()
        except libvirt.libvirtError as exc:
            result["error"] = VirtError.from_libvirt(exc)
        finally:
            done.set()

    loop.call_soon_threadsafe(run)
    if not done.wait(10):
        raise VirtError("libvirt's event loop did not answer within 10 s; the server is overloaded, try again.")
    if "error" in result:
        raise result["error"]
    return result.get("value")


@dataclass
class EventWatch:
    host_id: int
    conn: object
    callback_id: int


def watch_events(domain, dom, callback):
    """Call callback(event dict) for each QMP event of dom, on libvirt's loop; returns an EventWatch.

    The event dict is {"event": "STOP", "timestamp": seconds (float), "data": {...} or None}.
    """
    conn = libvirt_adapter.connection_for(domain.host).get()

    def relay(_conn, _dom, event, seconds, micros, details, _opaque):
        try:
            data = json.loads(details) if details else None
        except ValueError:
            data = details
        callback({"event": event, "timestamp": seconds + micros / 1e6, "data": data})

    callback_id = _on_loop(lambda: libvirt_qemu.qemuMonitorEventRegister(conn, dom, None, relay, None, 0))
    return EventWatch(domain.host_id, conn, callback_id)


def unwatch_events(watch):
    """Stop an EventWatch; harmless when its connection is gone already."""
    try:
        _on_loop(lambda: libvirt_qemu.qemuMonitorEventDeregister(watch.conn, watch.callback_id))
    except VirtError as exc:
        log.info("QMP event watch %s already ended: %s", watch.callback_id, exc)
