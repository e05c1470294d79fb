"""Lifecycle actions on domains: check permission, call libvirt, audit, report in the user's words."""

from dataclasses import dataclass

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

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
    label: str  # the API's English; pages translate it where they show it
    permission: str  # libvirt's ACL name for the call
    done: str  # the sentence saying it was done, with {name}
    offered: object = None  # facts -> bool: whether the page offers it in the current state
    failed: str = ""  # the sentence saying it could not be done, with {name} and libvirt's {error}

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
        LifecycleAction("start", "Start", "start", _("'{name}' started."), lambda f: f.state in {"shutoff", "crashed"},
                        _("Could not start '{name}': {error}")),
        LifecycleAction("shutdown", "Shut down", "init_control", _("'{name}' asked to shut down (ACPI)."),
                        lambda f: f.state in RUNNING, _("Could not shut down '{name}': {error}")),
        LifecycleAction("reboot", "Reboot", "init_control", _("'{name}' asked to reboot."),
                        lambda f: f.state in RUNNING, _("Could not reboot '{name}': {error}")),
        LifecycleAction("destroy", "Force off", "stop", _("'{name}' forced off."), lambda f: f.state in ACTIVE,
                        _("Could not force off '{name}': {error}")),
        LifecycleAction("reset", "Reset", "reset", _("'{name}' reset."), lambda f: f.state in RUNNING,
                        _("Could not reset '{name}': {error}")),
        LifecycleAction("suspend", "Pause", "suspend", _("'{name}' paused."), lambda f: f.state in RUNNING,
                        _("Could not pause '{name}': {error}")),
        LifecycleAction("resume", "Resume", "suspend", _("'{name}' resumed."), lambda f: f.state == "paused",
                        _("Could not resume '{name}': {error}")),
        LifecycleAction("managed_save", "Save and stop", "hibernate", _("'{name}' saved to disk and stopped."),
                        lambda f: f.persistent and f.state in RUNNING | {"paused"},
                        _("Could not save and stop '{name}': {error}")),
        LifecycleAction("managed_save_remove", "Discard saved state", "save", _("'{name}' saved state discarded."),
                        lambda f: f.managed_save, _("Could not discard saved state '{name}': {error}")),
        LifecycleAction("autostart_on", "Autostart on", "write", _("'{name}' set to start with its host."),
                        lambda f: f.persistent and not f.autostart, _("Could not autostart on '{name}': {error}")),
        LifecycleAction("autostart_off", "Autostart off", "write", _("'{name}' no longer starting with its host."),
                        lambda f: f.autostart, _("Could not autostart off '{name}': {error}")),
        LifecycleAction("undefine", "Undefine", "delete", _("'{name}' undefined."), lambda f: f.persistent,
                        _("Could not undefine '{name}': {error}")),
    ]
}


def do_domain_action(user, domain, action_name, options=None, source_address=None):
    """Run one lifecycle action on domain as user; returns a message for the user, or raises ActionError."""
    action = ACTIONS.get(action_name)
    if action is None:
        raise ActionError(format_lazy(_("Unknown action '{action}'. Use one of: {actions}."), action=action_name,
                                      actions=", ".join(ACTIONS)), code="unknown_action")
    options = options or {}
    if action.name == "undefine":  # its own module: the storage it may delete with the domain
        return do_undefine_domain(user, domain, options, source_address).message
    audit.require(user, action.permission, domain, f"domain.{action.name}", options, source_address)
    try:
        dom = libvirt_domain(domain)
        if action.name == "start":
            refusal = start_refusal(user, domain, dom)
            if refusal:
                audit.record(user, "domain.start", domain, options, outcome=format_lazy("refused: {}", refusal),
                             source_address=source_address)
                raise ActionError(refusal, code="base_of_linked_clone", status=409)
        with translated_errors():
            action.call(dom, options)
    except VirtError as exc:
        audit.record(user, f"domain.{action.name}", domain, options, outcome=format_lazy("failed: {}", exc.message),
                     source_address=source_address)
        raise ActionError(format_lazy(action.failed, name=domain.name, error=exc.message)) from exc
    audit.record(user, f"domain.{action.name}", domain, options, source_address=source_address)
    return format_lazy(action.done, name=domain.name)

