"""Network actions: define (from fields or XML), start, stop, autostart, change XML, roll back, delete.

Each checks permission, checks the definition (schema, name, subnets not used by another network of the host),
calls libvirt through domains.libvirt.networks, records a revision of the definition (define, XML edit, rollback)
and writes the audit log (intent first for the calls that change the host's bridges, DHCP servers and firewall,
outcome after). Nothing is left half-made: a define whose start or autostart fails is undefined again.
"""

import ipaddress
import logging

from django.db import transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.access import audit, permissions
from domains.definitions.xml.safe_xml import parse
from domains.errors import ConsoleError
from domains.libvirt import networks as libvirt_networks
from domains.libvirt.adapter import VirtError
from domains.networks.definition import NetworkError, check_dhcp_ranges, read_definition, xml_from_fields
from domains.networks.forward_checks import check_host_devices
from domains.networks.inventory import subnets_in_use
from domains.networks.lookups import network_row, network_row_lock
from domains.networks.models import Network, NetworkRevision
from domains.revisions import actions as revisions
from domains.revisions.actions import FIRST_SEEN, do_record_revision
from domains.revisions.models import RevisionSource

log = logging.getLogger(__name__)

# What each action on one network needs (libvirt's own checks: autostart is a change of the saved definition).
ACTION_PERMISSIONS = {
    "start": "network.start",
    "stop": "network.stop",
    "autostart": "network.write",
    "noautostart": "network.write",
}


def _refuse(user, action, target, params, exc, source_address):
    audit.record(user, action, target, params, outcome=format_lazy("refused: {}", exc), source_address=source_address)


def ensure_first_revision(row, handle):
    """Record libvirt's current definition as the network's first revision when it has none (found, not made here);
    the latest revision."""
    latest = NetworkRevision.objects.of(row).latest_one()
    if latest is not None:
        return latest
    xml = libvirt_networks.network_xml(handle)
    with transaction.atomic():
        return NetworkRevision.objects.of(row).latest_one() or do_record_revision(
            NetworkRevision, row, xml=xml, reason=FIRST_SEEN,
            source=RevisionSource.EXTERNAL)


def _record(row, handle, user, reason, source=RevisionSource.CONSOLE, rollback_of=None):
    xml = libvirt_networks.network_xml(handle)
    with transaction.atomic():
        return do_record_revision(NetworkRevision, row, user=user, xml=xml, reason=reason[:500], source=source,
                                  rollback_of=rollback_of)


def checked_definition(host, xml_text, except_name=None):
    """The NetworkDefinition of xml_text if host may have it: schema, name, DHCP ranges inside their subnets,
    subnets no other network uses, the host bridge or interfaces its forward mode names present on host."""
    definition = read_definition(xml_text)
    check_dhcp_ranges(xml_text)
    check_host_devices(host, xml_text)
    mine = [(field, ip) for field, ip in (("ipv4", definition.ipv4), ("ipv6", definition.ipv6))
            if ip and ip.get("prefix") is not None]
    if mine:
        for other, subnets in subnets_in_use(host, except_name=except_name or definition.name).items():
            for field, ip in mine:
                subnet = ipaddress.ip_interface(f"{ip['address']}/{ip['prefix']}").network
                clash = [str(s) for s in subnets if s.version == subnet.version and s.overlaps(subnet)]
                if clash:
                    raise NetworkError(format_lazy(_("The subnet {subnet} overlaps {other_subnet} of network "
                                                     "'{network}' on host '{host}': pick a subnet no other network "
                                                     "uses."),
                                                   subnet=subnet, other_subnet=clash[0], network=other, host=host),
                                       status=409, code="subnet_in_use",
                                       fields={field: [format_lazy(_("Overlaps '{network}'."), network=other)]})
    return definition


# Why a new network's definition was taken back: the step of it that libvirt refused, one sentence each.
_NETWORK_STEP_FAILED = {
    "start": _("Network '{name}' could not be started: {error}."),
    "autostart": _("Network '{name}' could not be set to start with the host: {error}."),
}


def do_define_network(user, host, xml_text=None, *, fields=None, start=False, autostart=False, reason="",
                      source_address=None, source=RevisionSource.CONSOLE):
    """Define a new persistent network on host from xml_text or fields; (row, handle). Its first revision is
    recorded.

    start and autostart follow; if one fails, the network is stopped and undefined again. Needs network.write and
    network.save on the host, plus network.start to start.
    """
    needed = ["network.write", "network.save"] + ["network.start"] * bool(start)
    params = {"start": bool(start), "autostart": bool(autostart)}
    try:
        for name in needed:
            # Whoever may see the host's networks is told what is missing; the host was already checked visible.
            if not permissions.has_perm(user, name, host):
                raise permissions.PermissionDenied(name, host)
    except permissions.PermissionDenied as refusal:
        audit.record_denied(user, "network.define", host, params, refusal, source_address)
        raise
    try:
        if xml_text is None:
            xml_text = xml_from_fields(fields or {})
        definition = checked_definition(host, xml_text)
        params["name"] = definition.name
        if libvirt_networks.find_network(host, name=definition.name) is not None:
            raise NetworkError(format_lazy(_("Host '{host}' already has a network named '{name}': pick another "
                                             "name, or change that network instead."), host=host, name=definition.name),
                               status=409, code="network_exists", fields={"name": [_("Taken.")]})
    except ConsoleError as exc:  # a bad definition, a name or subnet taken, libvirt unreachable
        _refuse(user, "network.define", host, params, exc, source_address)
        raise
    audit.record(user, "network.define", host, params, outcome="started", source_address=source_address)
    known_before = set(Network.objects.filter(host=host).values_list("uuid", flat=True))
    handle = libvirt_networks.define_network(host, xml_text)
    step = "define"
    try:
        for step, wanted, call in (("start", start, libvirt_networks.start_network),
                                   ("autostart", autostart,
                                    lambda h: libvirt_networks.set_network_autostart(h, True))):
            if wanted:
                call(handle)
    except VirtError as exc:
        _take_back(host, handle, known_before)
        audit.record(user, "network.define", host, params,
                     outcome=format_lazy("failed at {}: {}; network undefined again", step, exc.message),
                     source_address=source_address)
        failed = format_lazy(_NETWORK_STEP_FAILED[step], name=definition.name, error=exc.message.strip())
        raise VirtError(format_lazy("{} {}", failed, _("The network was undefined again; nothing of it is left on "
                                                       "the host.")), exc.code) from exc
    row = network_row(host, handle)
    revision = _record(row, handle, user, reason or "Defined in the console.", source)
    audit.record(user, "network.define", row, {**params, "revision": revision.number}, source_address=source_address)
    return row, handle


def _take_back(host, handle, known_before):
    """Undo a define whose follow-up failed: stop, undefine, drop the row made for it (not an older one)."""
    try:
        if libvirt_networks.network_live(handle)["active"]:
            libvirt_networks.stop_network(handle)
        uuid = libvirt_networks.network_uuid(handle)
        libvirt_networks.undefine_network(handle)
    except VirtError as exc:
        log.warning("could not take back network on host %s: %s", host, exc)
        return
    Network.objects.filter(host=host, uuid=uuid).exclude(uuid__in=known_before).delete()


def do_network_action(user, row, handle, action, source_address=None):
    """Run action (start, stop, autostart, noautostart) on a network; NetworkError for an unknown one."""
    permission = ACTION_PERMISSIONS.get(action)
    if permission is None:
        raise NetworkError(format_lazy(_("Unknown network action '{action}': use one of {actions}."), action=action,
                                       actions=", ".join(ACTION_PERMISSIONS)), fields={"action": [_("Unknown.")]})
    verb = f"network.{action}"
    audit.require(user, permission, row, verb, {}, source_address)
    try:
        if action == "start":
            libvirt_networks.start_network(handle)
        elif action == "stop":
            libvirt_networks.stop_network(handle)
        else:
            libvirt_networks.set_network_autostart(handle, action == "autostart")
    except VirtError as exc:
        audit.record(user, verb, row, {}, outcome=format_lazy("failed: {}", exc.message), source_address=source_address)
        raise
    audit.record(user, verb, row, {}, source_address=source_address)


def _redefinable(row, xml_text):
    """xml_text ready to redefine row: checked like any definition, the same name, row's UUID (added if left out)."""
    document = parse(xml_text)
    definition = checked_definition(row.host, xml_text, except_name=row.name)
    if definition.name != row.name:
        raise NetworkError(format_lazy(_("The XML names the network '{named}', but this is '{name}': a network "
                                         "cannot be renamed; define a new one instead."),
                                       named=definition.name, name=row.name), fields={"xml": [_("Name changed.")]})
    if definition.uuid is None:
        uuid_element = document.root.makeelement("uuid")
        uuid_element.text = str(row.uuid)
        document.root.find("name").addnext(uuid_element)
        return document.to_xml()
    if definition.uuid.replace("-", "").lower() != row.uuid.hex:
        raise NetworkError(format_lazy(_("The XML gives the network another UUID ({given}): keep {uuid}."),
                                       given=definition.uuid, uuid=row.uuid), fields={"xml": [_("UUID changed.")]})
    return xml_text


def _redefine(user, row, handle, xml_text, verb, params, reason, source, source_address, rollback_of=None):
    """Define xml_text (checked) over row's network, audited intent then outcome; (new handle, revision)."""
    ensure_first_revision(row, handle)
    audit.record(user, verb, row, params, outcome="started", source_address=source_address)
    try:
        handle = libvirt_networks.define_network(row.host, xml_text)
    except VirtError as exc:
        audit.record(user, verb, row, params, outcome=format_lazy("failed: {}", exc.message),
                     source_address=source_address)
        raise
    revision = _record(row, handle, user, reason, source, rollback_of)
    audit.record(user, verb, row, {**params, "revision": revision.number}, source_address=source_address)
    return handle, revision


def do_update_network_xml(user, row, handle, xml_text, source_address=None, reason="",
                          source=RevisionSource.CONSOLE):
    """Redefine the network from edited XML (same name; the UUID is kept); the new handle. A revision is recorded
    (and, first, the definition as it was, if the network had none).

    A running network keeps its old definition until it is stopped and started again (libvirt's rule).
    """
    audit.require(user, "network.write", row, "network.edit", {}, source_address)
    xml_text = _redefinable(row, xml_text)
    handle, _revision = _redefine(user, row, handle, xml_text, "network.edit", {}, reason or "XML edited in the console.",
                          source, source_address)
    return handle


def do_rollback_network(user, row, handle, revision, reason="", source_address=None):
    """Define revision's XML over the network again: (new handle, new revision, whether the network runs).

    The old XML is checked as any new definition is (schema, subnets, the host bridge or devices it names); a
    refusal says why and changes nothing. Only the persistent definition changes: a running network keeps its
    live configuration until it is stopped and started again (libvirt's rule for a redefined network).
    Needs network.write, like an XML edit.
    """
    params = {"rollback_to": revision.number}
    audit.require(user, "network.write", row, "network.rollback", params, source_address)

    def restore(old, why):
        current = ensure_first_revision(row, handle)
        before = {**params, "from_revision": current.number}
        try:
            xml_text = _redefinable(row, old.xml)
        except ConsoleError as exc:
            refusal = NetworkError(format_lazy(_("Revision {number} of network '{name}' cannot be restored: "
                                                 "{problem}"), number=old.number, name=row.name, problem=exc.message),
                                   code=exc.code, status=exc.status, fields=exc.fields)
            _refuse(user, "network.rollback", row, before, refusal, source_address)
            raise refusal from exc
        new_handle, new_revision = _redefine(user, row, handle, xml_text, "network.rollback", before, why,
                                             RevisionSource.ROLLBACK, source_address, rollback_of=old.number)
        return new_handle, new_revision, libvirt_networks.network_live(new_handle)["active"]

    return revisions.do_rollback(revision, row, restore, reason, refusal=NetworkError)


def do_delete_network(user, row, handle, source_address=None):
    """Stop the network if it runs and undefine it; refused (409 in_use) while domains have interfaces on it.

    The row stays, marked gone, with its history. Needs network.delete, and network.stop when it runs.
    """
    audit.require(user, "network.delete", row, "network.delete", {}, source_address)
    live = libvirt_networks.network_live(handle)
    if live["active"]:
        audit.require(user, "network.stop", row, "network.delete", {}, source_address)
    users = libvirt_networks.domains_using(row.host, row.name)
    if users:
        refusal = NetworkError(format_lazy(_("Network '{name}' is used by {domains}: remove their interfaces on it "
                                             "first, then delete it."), name=row.name, domains=", ".join(users)),
                               status=409, code="in_use", fields={"domains": users})
        _refuse(user, "network.delete", row, {}, refusal, source_address)
        raise refusal
    audit.record(user, "network.delete", row, {}, outcome="started", source_address=source_address)
    with network_row_lock(row.host_id, row.uuid):
        try:
            if live["active"]:
                libvirt_networks.stop_network(handle)  # a transient network is gone after this
            if live["persistent"]:
                libvirt_networks.undefine_network(handle)
        except VirtError as exc:
            audit.record(user, "network.delete", row, {}, outcome=format_lazy("failed: {}", exc.message),
                         source_address=source_address)
            raise
        Network.objects.filter(pk=row.pk).update(gone=True)
    row.gone = True
    audit.record(user, "network.delete", row, {}, source_address=source_address)
