"""The hosts page: each host's health, and adding, changing and removing hosts."""

from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from console.page_actions import perform
from domains.access import permissions
from domains.access.lookups import client_address, visible
from domains.hosts.actions import do_add_host, do_remove_host, do_update_host
from domains.hosts.models import Host
from domains.libvirt import adapter


@require_GET
def host_list(request):
    hosts = permissions.restrict(Host.objects.all(), request.user)
    rows = [(host, adapter.health_of(host)) for host in hosts]
    return render(request, "hosts/hosts.html", {"rows": rows, "may_manage": permissions.has_perm(request.user, "manage_hosts")})


@require_POST
def host_add(request):
    perform(request, lambda: do_add_host(request.user, request.POST.get("name"), request.POST.get("uri"),
                                         enabled=request.POST.get("enabled", "on") == "on",
                                         source_address=client_address(request)),
            lambda host: f"Host '{host.name}' added.")
    return redirect("host-list")


@require_POST
def host_update(request, host_id):
    host = visible(request.user, Host, host_id)
    perform(request, lambda: do_update_host(request.user, host, name=request.POST.get("name"),
                                            uri=request.POST.get("uri"), enabled=request.POST.get("enabled") == "on",
                                            source_address=client_address(request)),
            lambda _: f"Host '{host.name}' saved.")
    return redirect("host-list")


@require_POST
def host_remove(request, host_id):
    host = visible(request.user, Host, host_id)
    perform(request, lambda: do_remove_host(request.user, host, source_address=client_address(request)),
            lambda _: f"Host '{host.name}' removed.")
    return redirect("host-list")
