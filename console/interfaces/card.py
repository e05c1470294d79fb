"""What the domain page's Interfaces card shows a user: the interfaces and their addresses, the forms they may use."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from console.confirm import confirm_details
from console.networks.views import interface_picks
from domains.access import permissions
from domains.definitions.xml.device_edits import NIC_MODELS
from domains.definitions.xml.interface_edits import DIRECT_MODES
from domains.errors import ConsoleError
from domains.interfaces.actions import NEEDED
from domains.interfaces.listing import interfaces_of
from domains.networks.inventory import networks_seen_by
from domains.networks.nwfilters import nwfilter_list

# How the card names where an address was learnt (the API's source values).
ADDRESS_SOURCES = {"lease": gettext_lazy("DHCP lease"), "agent": gettext_lazy("guest agent"), "arp": gettext_lazy("ARP")}
BANDWIDTH_DIRECTIONS = ("inbound", "outbound")
BANDWIDTH_KEYS = ("average", "peak", "burst")


def may_change(user, domain):
    """Whether user holds what every interface change needs on domain (the actions check the same)."""
    return all(permissions.has_perm(user, name, domain) for name in NEEDED)


def _networks(user, host):
    """{name: Network row} of the host's networks user may see; empty where the host has no network driver."""
    try:
        return {row.name: row for row, _handle in networks_seen_by(user, host)}
    except ConsoleError:
        return {}


def _filters(user, host):
    """The names of the host's network filters, or None where user may not list them or the host has none."""
    if not permissions.has_perm(user, "nwfilter.getattr", host):
        return None
    try:
        return [fact["name"] for fact in nwfilter_list(host)]
    except ConsoleError:
        return None


def _bandwidth_fields(bandwidth):
    """{"inbound_average": 1000, ...}: an interface's limits as the form's field names."""
    return {f"{direction}_{key}": limit.get(key) for direction, limit in (bandwidth or {}).items()
            for key in BANDWIDTH_KEYS if limit and limit.get(key) is not None}


def bandwidth_rows(values, errors=None):
    """The bandwidth inputs of a form, filled from values (field name -> value) with their errors: one row per
    direction."""
    return [{"direction": direction,
             "fields": [{"name": f"{direction}_{key}", "key": key, "value": values.get(f"{direction}_{key}") or "",
                         "unit": "KiB" if key == "burst" else "KiB/s",
                         "problems": (errors or {}).get(f"{direction}_{key}", [])} for key in BANDWIDTH_KEYS]}
            for direction in BANDWIDTH_DIRECTIONS]


def _removal_question(domain, facts, running):
    """The confirmation dialog's words for removing an interface (data-confirm, data-confirm-details)."""
    question = _("Remove interface %(mac)s (%(type)s %(source)s) from %(domain)s?") % {
        "mac": facts["mac"], "type": facts["type"], "source": facts["source"] or "", "domain": domain.name}
    details = [_("It is removed from the definition: the guest has no such interface from its next start.")]
    if running and facts["live"]:
        details.insert(0, _("The running guest loses it now: its connections over it break."))
    return {"remove_question": question, "remove_details": confirm_details(details)}


def _shown(domain, running, facts, networks):
    network = networks.get(facts["source"]) if facts["type"] == "network" else None
    addresses = [{**address, "source_words": ADDRESS_SOURCES.get(address["source"], address["source"])}
                 for address in facts["addresses"]]
    return {**facts, "addresses": addresses, "network": network, **_removal_question(domain, facts, running),
            "bandwidth_rows": bandwidth_rows(_bandwidth_fields(facts["bandwidth"])),
            "bandwidth_words": ", ".join((_("inbound %(average)s KiB/s") if direction == "inbound"
                                          else _("outbound %(average)s KiB/s")) % {"average": limit["average"]}
                                         for direction, limit in (facts["bandwidth"] or {}).items()
                                         if limit and limit.get("average"))}


def first_error(errors):
    """The add form's field a refusal points at first (the one that takes the focus), or ""."""
    order = ["type", "source", "model", "mac", "filter"] + [f"{direction}_{key}" for direction in BANDWIDTH_DIRECTIONS
                                                            for key in BANDWIDTH_KEYS]
    return next((name for name in order if (errors or {}).get(name)), "")


def interfaces_card(user, domain, running, form=None, errors=None):
    """The card's context: interfaces (or problem), and the add form's choices when user may change them.

    form is what a refused add form had in it, shown again; errors its fields' problems.
    """
    host = domain.host
    card = {"domain": domain, "running": running, "interfaces": [], "problem": "",
            "may_change": may_change(user, domain), "form": form or {}, "errors": errors or {},
            "models": NIC_MODELS, "focus": first_error(errors)}
    networks = _networks(user, host)
    try:
        card["interfaces"] = [_shown(domain, running, facts, networks) for facts in interfaces_of(domain)]
    except ConsoleError as exc:
        card["problem"] = exc.message
    if card["may_change"]:
        # A bridge or direct source names a host device: the definition policy refuses it without host_resources.
        may_host_devices = permissions.has_perm(user, "host_resources", domain)
        picks = interface_picks(user, host) if may_host_devices else {}
        # Offered only where the definition policy lets user plug a port (a grant on one network can give it).
        pluggable = sorted(name for name, row in networks.items()
                           if permissions.has_perm(user, "network_port.create", row))
        card.update(networks=pluggable, filters=_filters(user, host), may_host_devices=may_host_devices,
                    bridges=picks.get("bridge", []), devices=picks.get("macvtap", []), direct_modes=DIRECT_MODES,
                    add_bandwidth=bandwidth_rows(card["form"], card["errors"]))
    return card
