"""A network's DHCP leases with the domain each belongs to, matched by the MAC of the domain's interfaces."""

from datetime import datetime, timezone

from domains.access import permissions
from domains.definitions.xml.safe_xml import parse
from domains.errors import ConsoleError
from domains.libvirt import networks as libvirt_networks
from domains.lifecycle.models import Domain


def interface_owners(host):
    """{MAC in lower case: (domain UUID, domain name)} over every interface of the host's domains."""
    owners = {}
    for uuid, name, xml in libvirt_networks.domain_descriptions(host):
        for mac in parse(xml).root.iterfind("devices/interface/mac"):
            if mac.get("address"):
                owners[mac.get("address").lower()] = (uuid, name)
    return owners


def leases_seen_by(user, host, handle):
    """The network's current leases for user, each matched to its domain (see with_domains)."""
    return with_domains(user, host, libvirt_networks.dhcp_leases(handle))


def with_domains(user, host, leases):
    """leases (dicts as dhcp_leases gives them), sorted, each with:

    expires_at, an aware datetime (or None); domain, the Domain row of host whose interface has the lease's MAC,
    when user may see that domain (else None); owned, whether some domain of the host has that MAC at all (so a
    page can say "a domain not shown to you" rather than "none").
    """
    if not leases:
        return []
    owners = interface_owners(host)
    owned_uuids = {owners[mac][0] for mac in (_mac(lease) for lease in leases) if mac in owners}
    visible = {row.uuid: row for row in permissions.restrict(
        Domain.objects.filter(host=host, uuid__in=owned_uuids), user)}
    shown = []
    for lease in leases:
        owner = owners.get(_mac(lease))
        expires = lease.get("expires")
        shown.append({**lease, "owned": owner is not None,
                      "domain": visible.get(owner[0]) if owner else None,
                      "expires_at": datetime.fromtimestamp(expires, timezone.utc) if expires else None})
    return sorted(shown, key=lambda lease: (lease["type"], lease["ip"] or ""))


def _mac(lease):
    return (lease.get("mac") or "").lower()


def lease_count(handle, active):
    """How many leases the network holds now: 0 when it is not running, None when libvirt cannot say (the test
    driver has no DHCP server)."""
    if not active:
        return 0
    try:
        return len(libvirt_networks.dhcp_leases(handle))
    except ConsoleError:
        return None
