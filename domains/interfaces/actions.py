"""A domain's network interfaces: add, change and remove them on the definition and, while it runs, live.

A stopped domain's interfaces change through do_define like any definition change. A running domain's
change through libvirt's device calls with VIR_DOMAIN_AFFECT_LIVE|CONFIG together, so the guest and the
definition change in one call or not at all; the definition libvirt then holds is stored as the user's
revision. Either way the definition policy judges the change first (a bridge or direct device is a host
reference), the audit log gets the intent before the call and the outcome after it, and a live removal the
guest has not finished yet is left pending until libvirt's DEVICE_REMOVED event (domains.interfaces.removals).
"""

import secrets
from dataclasses import dataclass

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.access import audit, permissions
from domains.access.lookups import libvirt_domain
from domains.definitions.actions import (
    checked_document,
    do_define,
    domain_lock,
    ensure_first_revision,
    record_device_change,
)
from domains.definitions.models import RevisionSource
from domains.definitions.policy import check_change
from domains.definitions.xml import (
    DefinitionError,
    add_interface,
    find_interface,
    parse,
    remove_interface,
)
from domains.definitions.xml.device_edits import (
    set_interface_model,
    set_interface_source,
)
from domains.definitions.xml.interface_edits import (
    device_xml,
    interface_facts,
    normal_mac,
    removal_xml,
    set_bandwidth,
    set_direct_mode,
    set_filter,
    set_link,
)
from domains.errors import ConsoleError
from domains.interfaces import removals
from domains.libvirt import adapter
from domains.libvirt import interfaces as libvirt_interfaces
from domains.libvirt import networks as libvirt_networks
from domains.libvirt import nwfilters as libvirt_nwfilters
from domains.libvirt.adapter import VirtError
from domains.lifecycle.models import Domain

INTERFACE_TYPES = ("network", "bridge", "direct")
# What changing an interface needs: write (libvirt: domain:write) and, as the definition changes too,
# save (libvirt asks domain:save of every VIR_DOMAIN_AFFECT_CONFIG device call).
NEEDED = ("write", "save")


class InterfaceError(ConsoleError):
    code = "invalid_interface"


class InterfaceNotFound(ConsoleError):
    code = "not_found"
    status = 404


@dataclass
class InterfaceChange:
    mac: str
    revision: object  # the DefinitionRevision stored, None when the definition did not change
    live: bool  # the running domain changed too
    pending: bool = False  # a live removal the guest has not finished yet
    device: str | None = None  # the interface's alias in the running domain


def _new_mac(taken):
    """A random MAC in QEMU's 52:54:00 range that no interface on the host has."""
    while True:
        mac = "52:54:00:" + ":".join(f"{secrets.randbelow(256):02x}" for _ in range(3))
        if mac not in taken:
            return mac


def _refuse_taken(user, domain, mac, taken):
    owner = taken.get(mac)
    if owner is None:
        return
    if owner["uuid"] == str(domain.uuid):
        raise InterfaceError(format_lazy(_("Domain '{name}' already has an interface with MAC {mac}: pick another "
                                           "MAC or leave it out to get a new one."), name=domain.name, mac=mac),
                             status=409, code="mac_in_use", fields={"mac": [_("In use on this domain.")]})
    row = Domain.objects.filter(host=domain.host, uuid=owner["uuid"]).first()
    if row is not None and permissions.has_perm(user, "getattr", row):
        message = format_lazy(_("MAC {mac} is already used by domain '{name}' on host '{host}': two interfaces with "
                                "one MAC on a host confuse the network. Pick another MAC or leave it out to get a new "
                                "one."), mac=mac, name=owner["name"], host=domain.host)
    else:
        message = format_lazy(_("MAC {mac} is already used by another domain on host '{host}': two interfaces with "
                                "one MAC on a host confuse the network. Pick another MAC or leave it out to get a new "
                                "one."), mac=mac, host=domain.host)
    raise InterfaceError(message, status=409, code="mac_in_use", fields={"mac": [_("In use on the host.")]})


def _check_source(domain, kind, source):
    if kind not in INTERFACE_TYPES:
        raise InterfaceError(format_lazy(_("Unknown interface type {kind}; use network, bridge or direct."),
                                         kind=repr(kind)), fields={"type": [_("Unknown.")]})
    if not source and kind != "network":
        message = (_("A bridge interface needs a source: the host's bridge by name.") if kind == "bridge" else
                   format_lazy(_("A {kind} interface needs a source: the host's network device by name."), kind=kind))
        raise InterfaceError(message, fields={"source": [_("Required.")]})
    if kind == "network" and libvirt_networks.find_network(domain.host, name=source or "default") is None:
        raise InterfaceError(format_lazy(_("Host '{host}' has no network called '{network}': pick one of the host's "
                                           "networks, or define it first."), host=domain.host,
                                         network=source or "default"), code="unknown_network",
                             fields={"source": [_("No such network.")]})


def _check_filter(domain, spec):
    wanted = spec.get("filter")
    if not wanted:
        return
    try:
        found = libvirt_nwfilters.find_nwfilter(domain.host, wanted["name"])
    except (libvirt_nwfilters.NoNwfilterDriver, libvirt_networks.NoNetworkDriver):
        return  # a host without network filters (test driver, embedded): libvirt judges the name at start
    if found is None:
        raise InterfaceError(format_lazy(_("Host '{host}' has no network filter called '{filter}': pick one of the "
                                           "host's filters (GET /hosts/{{id}}/nwfilters), or define it first."),
                                         host=domain.host, filter=wanted["name"]),
                             code="unknown_filter", fields={"filter": [_("No such filter.")]})


def _settings(interface, spec):
    """The settings of spec beyond type, source, model and MAC, applied to the interface element."""
    if spec.get("mode") is not None:
        set_direct_mode(interface, spec["mode"])
    if "filter" in spec:
        wanted = spec["filter"]
        set_filter(interface, wanted["name"] if wanted else None, (wanted or {}).get("parameters"))
    if "bandwidth" in spec:
        set_bandwidth(interface, spec["bandwidth"])
    if spec.get("link") is not None:
        set_link(interface, spec["link"])


def _edited(edit, document):
    """edit(document), its refusals in the interface API's terms (the document is not the user's XML here)."""
    try:
        return edit(document)
    except DefinitionError as exc:
        raise InterfaceError(exc.message) from exc


def _live_interface(dom, mac):
    """The running domain's interface with mac, or None."""
    try:
        return find_interface(parse(libvirt_interfaces.live_xml(dom)), mac)
    except DefinitionError:
        return None


def _not_live(exc):
    """A libvirt refusal of a live change, said as what to do about it; other failures stay libvirt's own."""
    if exc.code not in libvirt_interfaces.NOT_LIVE_CODES:
        return exc
    return InterfaceError(format_lazy(_("libvirt refused to make this change on the running domain: {error}. Nothing "
                                        "was changed: fix what libvirt names (e.g. start the network), or shut the "
                                        "domain down and change its definition then."), error=exc.message.strip()),
                          status=409, code="not_changeable_live")


def _run(user, domain, action, params, change, reason, source, source_address):
    """Check permission, then change(dom, document) under the domain's lock, audited; returns its InterfaceChange.

    change edits the secure definition document and returns (device_call or None, InterfaceChange): with a
    device_call (the domain runs) that call makes the change live and in the definition; without, the edited
    document is defined.
    """
    for permission in NEEDED:
        audit.require(user, permission, domain, action, params, source_address)
    with domain_lock(domain.host_id, domain.uuid):
        intent = None
        try:
            dom = libvirt_domain(domain)
            secure_xml = libvirt_interfaces.definition_xml(dom, secure=True)
            document = parse(secure_xml)
            device_call, result = change(dom, document)
            if device_call is None:
                intent = audit.record_intent(user, action, domain, params, source_address)
                result.revision = do_define(user, domain, document.to_xml(), reason, source, source_address,
                                            secure_xml=secure_xml).revision
            else:
                # The same checks do_define makes, on what libvirt is about to hold.
                check_change(user, domain, secure_xml, document)
                checked_document(document.to_xml())
                ensure_first_revision(domain, dom)
                intent = audit.record_intent(user, action, domain, params, source_address)
                try:
                    device_call()
                except VirtError as exc:
                    raise _not_live(exc) from exc
                defined = record_device_change(user, domain, dom, reason, source)
                result.revision = defined.revision if defined.changed else None
        except ConsoleError as exc:
            outcome = format_lazy("{}: {}", "failed" if isinstance(exc, VirtError) else "refused", exc.message)
            if intent is None:
                audit.record(user, action, domain, params, outcome=outcome, source_address=source_address)
            else:
                audit.record_outcome(intent, user, domain, outcome, params, source_address)
            raise
        if result.pending:
            removals.expect(domain, result.device, result.mac, user, intent, source_address)
        else:
            audit.record_outcome(intent, user, domain, "ok", {**params, "live": result.live}, source_address)
    return result


def do_add_interface(user, domain, spec, reason="", source=RevisionSource.API, source_address=None):
    """Add an interface (spec: type, source, mode, model, mac, filter, bandwidth, link); an InterfaceChange.

    A MAC is made up when spec has none; one any domain of the host uses is refused (409 mac_in_use).
    """
    kind = spec.get("type") or "network"
    params = {key: spec.get(key) for key in ("type", "source", "model", "mac") if spec.get(key) is not None}

    def change(dom, document):
        _check_source(domain, kind, spec.get("source"))
        _check_filter(domain, spec)
        taken = libvirt_interfaces.macs_in_use(domain.host)
        mac = _edited(lambda _d: normal_mac(spec["mac"]), document) if spec.get("mac") else _new_mac(taken)
        _refuse_taken(user, domain, mac, taken)
        params["mac"] = mac
        interface = _edited(lambda d: add_interface(d, kind, spec.get("source"), model=spec.get("model") or "virtio",
                                                    mac=mac), document)
        _edited(lambda _d: _settings(interface, spec), document)
        result = InterfaceChange(mac, None, live=adapter.is_running(dom))
        if not result.live:
            return None, result
        flags = libvirt_interfaces.LIVE | libvirt_interfaces.CONFIG
        return (lambda: libvirt_interfaces.attach_device(dom, device_xml(interface), flags)), result

    return _run(user, domain, "domain.interface_add", params, change,
                reason or f"Added a {kind} interface", source, source_address)


def _found(document, mac, live_interface):
    """The definition's interface with mac, or None; InterfaceNotFound when neither the definition nor the
    running domain has one."""
    try:
        return find_interface(document, mac)
    except DefinitionError:
        if live_interface is None:
            raise InterfaceNotFound(format_lazy(_("Domain has no interface with MAC {mac}: pick one of those GET "
                                                  ".../interfaces lists."), mac=mac)) from None
        return None


def _documents(dom, document, mac):
    """(running, the definition's interface or None, the live one or None, the document holding the one to edit)."""
    running = adapter.is_running(dom)
    live_document = parse(libvirt_interfaces.live_xml(dom)) if running else None
    live_interface = None
    if live_document is not None:
        try:
            live_interface = find_interface(live_document, mac)
        except DefinitionError:
            live_interface = None
    interface = _found(document, mac, live_interface)
    # An interface only the running domain has (hot-plugged live only) is changed there only.
    return running, interface, live_interface, document if interface is not None else live_document


def _flags(interface, live_interface):
    return (libvirt_interfaces.LIVE if live_interface is not None else 0) | \
        (libvirt_interfaces.CONFIG if interface is not None else 0)


def do_change_interface(user, domain, mac, spec, reason="", source=RevisionSource.API, source_address=None):
    """Change an interface's type and source, mode, model, filter, bandwidth or link (keys absent stay)."""
    mac = mac.strip().lower()
    params = {"mac": mac, "changed": sorted(spec)}

    def change(dom, document):
        running, interface, live_interface, holder = _documents(dom, document, mac)
        target = find_interface(holder, mac)
        _check_filter(domain, spec)
        if "type" in spec or "source" in spec:
            kind = spec.get("type") or target.get("type")
            wanted = spec.get("source") or interface_facts(target)["source"]
            _check_source(domain, kind, wanted)
            _edited(lambda _d: set_interface_source(holder, mac, kind, wanted), document)
        if spec.get("model") is not None:
            _edited(lambda _d: set_interface_model(holder, mac, spec["model"]), document)
        _edited(lambda _d: _settings(target, spec), document)
        if interface is None:
            # Only the running domain has it: the policy judges the running definition's change (_run judges
            # the persistent one, which this change leaves alone). libvirt's live XML is still the old one.
            check_change(user, domain, libvirt_interfaces.live_xml(dom), holder)
        alias = interface_facts(live_interface)["alias"] if live_interface is not None else None
        result = InterfaceChange(mac, None, live=live_interface is not None, device=alias)
        if not running:
            return None, result
        flags = _flags(interface, live_interface)
        return (lambda: libvirt_interfaces.update_device(dom, device_xml(target), flags)), result

    return _run(user, domain, "domain.interface_change", params, change,
                reason or f"Changed interface {mac} ({', '.join(sorted(spec))})", source, source_address)


def do_remove_interface(user, domain, mac, reason="", source=RevisionSource.API, source_address=None):
    """Remove an interface from the definition and, when running, from the guest; pending=True in the result
    while the guest has not let go of it yet (the DEVICE_REMOVED event settles it)."""
    mac = mac.strip().lower()
    params = {"mac": mac}

    def change(dom, document):
        running, interface, live_interface, holder = _documents(dom, document, mac)
        # libvirt finds the interface by its MAC; type and source only make the XML parse, nothing else is
        # named that could fail to match (the PCI address, the alias).
        xml = removal_xml(find_interface(holder, mac))
        if interface is not None:
            remove_interface(document, mac)
        alias = interface_facts(live_interface)["alias"] if live_interface is not None else None
        result = InterfaceChange(mac, None, live=live_interface is not None, device=alias)
        if not running:
            return None, result
        flags = _flags(interface, live_interface)

        def detach():
            if alias:
                removals.watch(domain, alias)  # before the call: the event may come before it returns
            try:
                libvirt_interfaces.detach_device(dom, xml, flags)
            except VirtError:
                removals.forget(domain, alias)
                raise
            result.pending = bool(alias) and _live_interface(dom, mac) is not None
            if not result.pending:
                removals.forget(domain, alias)

        return detach, result

    return _run(user, domain, "domain.interface_remove", params, change,
                reason or f"Removed interface {mac}", source, source_address)
