"""Lifecycle actions on domains: check permission, call libvirt, audit, report in the user's words."""

from dataclasses import dataclass

from domains.access import audit
from domains.access.lookups import libvirt_domain
from domains.libvirt.adapter import VirtError, translated_errors
from domains.lifecycle.errors import ActionError
from domains.lifecycle.guards import start_refusal
from domains.lifecycle.undefine import do_undefine_domain

__all__ = ["ACTIONS", "ActionError", "LifecycleAction", "do_domain_action"]


@dataclass(frozen=True)
class LifecycleAction:
    name: str
    label: str
    permission: str  # libvirt's ACL name for the call
    done: str
    offered: object = None  # facts -> bool: whether the page offers it in the current state

    def call(self, dom, options):
        return _CALLS[self.name](dom, options)


_CALLS = {
    "start": lambda dom, o: dom.create(),
    "shutdown": lambda dom, o: dom.shutdown(),
    "reboot": lambda dom, o: dom.reboot(0),
    "destroy": lambda dom, o: dom.destroy(),
    "reset": lambda dom, o: dom.reset(0),
    "suspend": lambda dom, o: dom.suspend(),
    "resume": lambda dom, o: dom.resume(),
    "managed_save": lambda dom, o: dom.managedSave(0),
    "managed_save_remove": lambda dom, o: dom.managedSaveRemove(0),
    "autostart_on": lambda dom, o: dom.setAutostart(1),
    "autostart_off": lambda dom, o: dom.setAutostart(0),
}

RUNNING = {"running", "blocked"}
ACTIVE = {"running", "blocked", "paused", "shutdown", "pmsuspended"}
ACTIONS = {
    action.name: action
    for action in [
        LifecycleAction("start", "Start", "start", "started", lambda f: f.state in {"shutoff", "crashed"}),
        LifecycleAction("shutdown", "Shut down", "init_control", "asked to shut down (ACPI)", lambda f: f.state in RUNNING),
        LifecycleAction("reboot", "Reboot", "init_control", "asked to reboot", lambda f: f.state in RUNNING),
        LifecycleAction("destroy", "Force off", "stop", "forced off", lambda f: f.state in ACTIVE),
        LifecycleAction("reset", "Reset", "reset", "reset", lambda f: f.state in RUNNING),
        LifecycleAction("suspend", "Pause", "suspend", "paused", lambda f: f.state in RUNNING),
        LifecycleAction("resume", "Resume", "suspend", "resumed", lambda f: f.state == "paused"),
        LifecycleAction("managed_save", "Save and stop", "hibernate", "saved to disk and stopped",
                        lambda f: f.persistent and f.state in RUNNING | {"paused"}),
        LifecycleAction("managed_save_remove", "Discard saved state", "save", "saved state discarded",
                        lambda f: f.managed_save),
        LifecycleAction("autostart_on", "Autostart on", "write", "set to start with its host",
                        lambda f: f.persistent and not f.autostart),
        LifecycleAction("autostart_off", "Autostart off", "write", "no longer starting with its host",
                        lambda f: f.autostart),
        LifecycleAction("undefine", "Undefine", "delete", "undefined", lambda f: f.persistent),
    ]
}


def do_domain_action(user, domain, action_name, options=None, source_address=None):
    """Run one lifecycle action on domain as user; returns a message for the user, or raises ActionError."""
    action = ACTIONS.get(action_name)
    if action is None:
        raise ActionError(
            f"Unknown action '{action_name}'. Use one of: {', '.join(ACTIONS)}.", code="unknown_action"
        )
    options = options or {}
    if action.name == "undefine":  # its own module: the storage it may delete with the domain
        return do_undefine_domain(user, domain, options, source_address).message
    audit.require(user, action.permission, domain, f"domain.{action.name}", options, source_address)
    try:
        dom = libvirt_domain(domain)
        if action.name == "start":
            refusal = start_refusal(user, domain, dom)
            if refusal:
                audit.record(user, "domain.start", domain, options, outcome=f"refused: {refusal}",
                             source_address=source_address)
                raise ActionError(refusal, code="base_of_linked_clone", status=409)
        with translated_errors():
            action.call(dom, options)
    except VirtError as exc:
        audit.record(user, f"domain.{action.name}", domain, options, outcome=f"failed: {exc.message}",
                     source_address=source_address)
        raise ActionError(f"Could not {action.label.lower()} '{domain.name}': {exc.message}") from exc
    audit.record(user, f"domain.{action.name}", domain, options, source_address=source_address)
    return f"'{domain.name}' {action.done}."
