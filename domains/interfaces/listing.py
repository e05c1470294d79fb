"""A domain's interfaces as the API shows them: the definition's and the running domain's, with the guest's addresses."""

from domains.access import permissions
from domains.access.lookups import libvirt_domain
from domains.definitions.xml import parse
from domains.definitions.xml.interface_edits import interface_facts
from domains.interfaces import removals
from domains.libvirt import adapter
from domains.libvirt import interfaces as libvirt_interfaces
from domains.lifecycle.models import Domain


def _interfaces(xml_text):
    devices = parse(xml_text).root.find("devices")
    return [interface_facts(element) for element in devices.iterfind("interface")] if devices is not None else []


def interfaces_of(domain):
    """Every interface of domain, the definition's first, then those only the running domain has.

    Settings are the running domain's where it has the interface (what is in effect), the definition's
    otherwise; in_definition and live say where it is; pending is "detach" while a live removal waits for the
    guest; addresses come from the best source that knows them (lease, agent, arp), each saying which.
    """
    dom = libvirt_domain(domain)
    defined = _interfaces(libvirt_interfaces.definition_xml(dom))
    running = adapter.is_running(dom)
    live = _interfaces(libvirt_interfaces.live_xml(dom)) if running else []
    addresses = libvirt_interfaces.guest_addresses(dom, {facts["mac"] for facts in live}) if running else {}
    pending = removals.pending_devices(domain) if running else set()
    live_by_mac = {facts["mac"]: facts for facts in live}
    defined_macs = {facts["mac"] for facts in defined}
    listed = []
    for facts in defined + [facts for facts in live if facts["mac"] not in defined_macs]:
        shown = dict(live_by_mac.get(facts["mac"], facts))
        shown.update(in_definition=facts["mac"] in defined_macs, live=facts["mac"] in live_by_mac,
                     pending="detach" if shown["alias"] and shown["alias"] in pending else None,
                     addresses=addresses.get(facts["mac"], []))
        listed.append(shown)
    return listed


def interface_of(domain, mac):
    """The one interface with mac as interfaces_of shows it, or None."""
    mac = mac.strip().lower()
    return next((facts for facts in interfaces_of(domain) if facts["mac"] == mac), None)


def leases_with_domains(user, host, leases):
    """leases (the network's DHCP leases), each naming the domain whose interface has its MAC, where user may see it."""
    owners = libvirt_interfaces.macs_in_use(host)
    rows = {str(row.uuid): row for row in Domain.objects.filter(host=host, uuid__in=[o["uuid"] for o in owners.values()])}
    named = []
    for lease in leases:
        owner = owners.get((lease.get("mac") or "").lower())
        row = rows.get(owner["uuid"]) if owner else None
        seen = row is not None and permissions.has_perm(user, "getattr", row)
        named.append({**lease, "domain": row.name if seen else None, "domain_uuid": str(row.uuid) if seen else None})
    return named
