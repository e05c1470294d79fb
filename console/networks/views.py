"""Network pages: a host's virtual networks, one network (state, actions, DHCP leases), the create form, the XML
editor."""

from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from console.networks.history_views import history_context
from console.networks.lookups import network_for_page
from console.page_actions import perform, tell
from domains.access import permissions
from domains.access.lookups import client_address
from domains.errors import ConsoleError
from domains.libvirt import networks as libvirt_networks
from domains.networks.actions import (
    ACTION_PERMISSIONS,
    do_define_network,
    do_delete_network,
    do_network_action,
    do_update_network_xml,
)
from domains.networks.host_entries import dhcp_hosts, dns_hosts
from domains.networks.host_interfaces import host_interfaces
from domains.networks.inventory import network_facts, networks_seen_by
from domains.networks.leases import lease_count, leases_seen_by
from domains.networks.lookups import visible_host

route_permission = permissions.route_permission

# The create form's forward modes, in the words a user picks by, and the fields each one needs.
FORWARD_CHOICES = {
    "nat": gettext_lazy("NAT: guests reach out through the host's address"),
    "route": gettext_lazy("Routed: guests' subnet routed through the host, no NAT"),
    "none": gettext_lazy("Isolated: guests and the host only"),
    "open": gettext_lazy("Open: a bridge and DHCP, no firewall rules of libvirt's"),
    "bridge": gettext_lazy("Bridge: plug guests into an existing host bridge"),
    "macvtap": gettext_lazy("macvtap: guests share a host interface (passthrough)"),
    "hostdev": gettext_lazy("hostdev: SR-IOV virtual functions of a host interface"),
}
WITH_ADDRESSES = ("nat", "route", "none", "open")


def fields_from_form(form):
    """The define action's fields from the create form: empty inputs are left out, as the API leaves them out."""
    forward = form.get("forward") or "nat"
    fields = {"name": form.get("network_name", "").strip(), "forward": forward,
              "bridge": form.get("bridge", "").strip() or None, "device": form.get("device", "").strip() or None}
    if forward in WITH_ADDRESSES:
        for family in ("ipv4", "ipv6"):
            address = form.get(f"{family}_address", "").strip()
            if not address:
                continue
            ip = {"address": address, "prefix": form.get(f"{family}_prefix", "").strip()}
            start, end = form.get(f"{family}_dhcp_start", "").strip(), form.get(f"{family}_dhcp_end", "").strip()
            if start or end:
                ip["dhcp"] = {"start": start, "end": end}
            fields[family] = ip
    return fields


# The create form's fields in page order: a refused form puts the focus on the first one the refusal names.
FIELD_ORDER = ("name", "forward", "bridge", "device", "ipv4", "ipv6", "xml")


def address_families(form):
    """The create form's IPv4 and IPv6 fieldsets: (family, legend, address, DHCP start, DHCP end, prefix, longest
    prefix), each field with what was typed and an example."""
    families = []
    for family, legend, examples, default_prefix, longest in (
            ("ipv4", "IPv4", ("192.168.100.1", "192.168.100.10", "192.168.100.99"), "24", 32),
            ("ipv6", gettext("IPv6 (optional)"), ("fd00:100::1", "fd00:100::100", "fd00:100::1ff"), "64", 128)):
        fields = [{"value": form.get(f"{family}_{name}", ""), "example": example}
                  for name, example in zip(("address", "dhcp_start", "dhcp_end"), examples)]
        families.append((family, legend, *fields, form.get(f"{family}_prefix") or default_prefix, longest))
    return families


def page_facts(row, handle):
    """network_facts plus what the pages show of them: the DHCP ranges of both families."""
    facts = network_facts(row, handle)
    facts["dhcp_ranges"] = [ip["dhcp"] for ip in (facts["ipv4"], facts["ipv6"]) if ip and ip.get("dhcp")]
    return facts


@route_permission("network.getattr", note="on the host; network permissions are host-level for now")
@require_GET
def network_list(request, host_id):
    host = visible_host(request.user, host_id)
    rows, problem = [], None
    try:
        for row, handle in networks_seen_by(request.user, host):
            facts = page_facts(row, handle)
            rows.append({**facts, "leases": lease_count(handle, facts["active"])})
    except ConsoleError as exc:  # the embedded host (no network driver), an unreachable one
        problem = exc.message
    return render(request, "networks/networks.html", {
        "host": host, "networks": rows, "problem": problem,
        "may_define": permissions.has_perm(request.user, "network.write", host),
        "may_see_nwfilters": permissions.has_perm(request.user, "nwfilter.getattr", host)})


@route_permission("network.getattr", note="on the network's host")
@require_GET
def network_detail(request, host_id, name):
    row, handle = network_for_page(request, host_id, name)
    user = request.user
    facts = page_facts(row, handle)
    may_read = permissions.has_perm(user, "network.read", row)
    leases, leases_problem = [], None
    if may_read and facts["active"]:
        try:
            leases = leases_seen_by(user, row.host, handle)
        except ConsoleError as exc:
            leases_problem = exc.message
    # Only the actions that would change something: start a stopped network, stop a running one, flip autostart.
    wanted = ["stop" if facts["active"] else "start"]
    if facts["persistent"]:
        wanted.append("noautostart" if facts["autostart"] else "autostart")
    may_delete = permissions.has_perm(user, "network.delete", row)
    history = history_context(request, row, handle) if may_read else {}
    return render(request, "networks/network.html", {**history,
        "host": row.host, "network": row, "facts": facts,
        "actions": [action for action in wanted if permissions.has_perm(user, ACTION_PERMISSIONS[action], row)],
        "xml": libvirt_networks.network_xml(handle) if may_read else None,
        "dhcp_hosts": dhcp_hosts(handle) if may_read else [], "dns_hosts": dns_hosts(handle) if may_read else [],
        "may_update": all(permissions.has_perm(user, name, row) for name in ("network.write", "network.save")),
        "may_read": may_read, "leases": leases, "leases_problem": leases_problem,
        "used_by": libvirt_networks.domains_using(row.host, row.name) if may_delete else [],
        "may_delete": may_delete, "may_write": permissions.has_perm(user, "network.write", row),
        "may_grant": permissions.has_perm(user, "manage_grants", row)})


@route_permission(tuple(sorted(set(ACTION_PERMISSIONS.values()))), note="the action in the URL decides")
@require_POST
def network_action(request, host_id, name, action):
    row, handle = network_for_page(request, host_id, name, ACTION_PERMISSIONS.get(action, "network.getattr"))
    words = {"start": gettext("Network '%(name)s' started."), "stop": gettext("Network '%(name)s' stopped."),
             "autostart": gettext("Network '%(name)s' set to start with the host."),
             "noautostart": gettext("Network '%(name)s' no longer starts with the host.")}
    done = words.get(action) or gettext("Network '%(name)s': %(action)s done.")
    perform(request, lambda: do_network_action(request.user, row, handle, action, client_address(request)),
            done % {"name": row.name, "action": action})
    return redirect("network-detail", host_id, name)


@route_permission("network.delete", note="on the network's host; a running network also needs network.stop")
@require_POST
def network_delete(request, host_id, name):
    row, handle = network_for_page(request, host_id, name, "network.delete")
    if perform(request, lambda: do_delete_network(request.user, row, handle, source_address=client_address(request)),
               gettext("Network '%(name)s' stopped and undefined.") % {"name": row.name}):
        return redirect("network-list", host_id)
    return redirect("network-detail", host_id, name)


def interface_picks(user, host):
    """{"bridge": [names], "macvtap": [names]}: the host's interfaces a bridge or macvtap network may use, offered
    to pick from; empty where the user may not read them or the host cannot list them (the test driver)."""
    if not permissions.has_perm(user, "interface.read", host):
        return {}
    try:
        interfaces = host_interfaces(user, host)
    except ConsoleError:
        return {}
    return {use: [fact["name"] for fact in interfaces if use in fact["usable_for"]] for use in ("bridge", "macvtap")}


@route_permission("network.write", note="on the host, with network.save; starting needs network.start")
@require_http_methods(["GET", "POST"])
def network_create(request, host_id):
    host = visible_host(request.user, host_id, "network.write")
    form, errors = request.POST, {}
    if request.method == "POST":
        defined = []

        def define():
            try:
                row, _ = do_define_network(
                    request.user, host, form.get("xml", "").strip() or None, fields=fields_from_form(form),
                    start=form.get("start") == "on", autostart=form.get("autostart") == "on",
                    source_address=client_address(request))
            except ConsoleError as exc:
                if isinstance(exc.fields, dict):
                    errors.update({key: value for key, value in exc.fields.items() if isinstance(value, list)})
                raise
            defined.append(row)
            return row

        if perform(request, define, lambda row: gettext("Network '%(name)s' defined.") % {"name": row.name}):
            return redirect("network-detail", host.pk, defined[0].name)
    return render(request, "networks/network_create.html", {
        "host": host, "form": form, "errors": errors, "forward_choices": FORWARD_CHOICES,
        "first_error": next((key for key in FIELD_ORDER if key in errors), None),
        "address_families": address_families(form),
        "picks": interface_picks(request.user, host),
        "with_addresses": " ".join(WITH_ADDRESSES),
        "may_start": permissions.has_perm(request.user, "network.start", host)},
        status=400 if request.method == "POST" else 200)  # a refused form comes back with what the user typed


@route_permission(GET="network.read", POST="network.write", note="on the network's host")
@require_http_methods(["GET", "POST"])
def network_xml(request, host_id, name):
    needed = "network.read" if request.method == "GET" else "network.write"
    row, handle = network_for_page(request, host_id, name, needed)
    xml = libvirt_networks.network_xml(handle)
    problem = None
    if request.method == "POST":
        xml = request.POST.get("xml", "")
        try:
            do_update_network_xml(request.user, row, handle, xml, source_address=client_address(request))
            running = libvirt_networks.network_live(handle)["active"]
            redefined = (gettext("Network '%(name)s' redefined. It runs on its old definition until it is stopped "
                                 "and started again.") if running else gettext("Network '%(name)s' redefined."))
            tell(request, redefined % {"name": row.name})
            return redirect("network-detail", host_id, name)
        except ConsoleError as exc:
            problem = exc.message
    return render(request, "networks/network_xml.html", {"host": row.host, "network": row, "xml": xml,
                                                         "problem": problem}, status=400 if problem else 200)
