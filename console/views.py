"""The site's pages: dashboard, domain page, lifecycle buttons, hosts."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from console.request_helpers import client_address, visible_domain, visible_host
from domains import libvirt_adapter, permissions
from domains.actions import ACTIONS, ActionError, do_domain_action
from domains.domain_facts import read_facts
from domains.hosts import HostError, do_add_host, do_remove_host, do_update_host
from domains.libvirt_adapter import VirtError
from domains.listing import list_domains
from domains.models import Host


@require_GET
def dashboard(request):
    return render(request, "dashboard.html", {"sections": list_domains(request.user)})


@require_GET
def domain_detail(request, uuid):
    domain = visible_domain(request.user, uuid)
    facts, error = None, ""
    if not domain.gone:
        try:
            facts = read_facts(domain)
        except VirtError as exc:
            error = exc.message
    actions = [
        action for action in ACTIONS.values()
        if facts is not None and action.offered(facts) and permissions.has_perm(request.user, action.permission, domain)
    ]
    return render(request, "domain_detail.html", {"domain": domain, "facts": facts, "error": error, "actions": actions})


@require_POST
def domain_action(request, uuid, action):
    domain = visible_domain(request.user, uuid)
    options = {"keep_nvram": request.POST.get("keep_nvram") == "on", "confirm_name": request.POST.get("confirm_name")}
    try:
        done = do_domain_action(request.user, domain, action, options, client_address(request))
    except ActionError as exc:
        messages.error(request, exc.message)
        return redirect("domain-detail", uuid=domain.uuid)
    messages.success(request, done)
    if action == "undefine":
        return redirect("dashboard")
    return redirect("domain-detail", uuid=domain.uuid)


@require_GET
def host_list(request):
    hosts = permissions.restrict(Host.objects.all(), request.user)
    rows = [(host, libvirt_adapter.health_of(host)) for host in hosts]
    return render(request, "hosts.html", {"rows": rows, "may_manage": permissions.has_perm(request.user, "manage_hosts")})


@require_POST
def host_add(request):
    try:
        host = do_add_host(request.user, request.POST.get("name"), request.POST.get("uri"),
                           enabled=request.POST.get("enabled", "on") == "on", source_address=client_address(request))
        messages.success(request, f"Host '{host.name}' added.")
    except HostError as exc:
        messages.error(request, exc.message)
    return redirect("host-list")


@require_POST
def host_update(request, host_id):
    host = visible_host(request.user, host_id)
    try:
        do_update_host(request.user, host, name=request.POST.get("name"), uri=request.POST.get("uri"),
                       enabled=request.POST.get("enabled") == "on", source_address=client_address(request))
        messages.success(request, f"Host '{host.name}' saved.")
    except HostError as exc:
        messages.error(request, exc.message)
    return redirect("host-list")


@require_POST
def host_remove(request, host_id):
    host = visible_host(request.user, host_id)
    try:
        do_remove_host(request.user, host, source_address=client_address(request))
        messages.success(request, f"Host '{host.name}' removed.")
    except HostError as exc:
        messages.error(request, exc.message)
    return redirect("host-list")
