"""The hosts page: each host's health, and adding, changing and removing hosts (a refused form keeps what was typed)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from console.confirm import confirm_details
from console.page_actions import perform
from domains.access import permissions
from domains.access.lookups import client_address, visible
from domains.access.redaction import redact_url_passwords
from domains.errors import ConsoleError
from domains.hosts.actions import do_add_host, do_remove_host, do_update_host
from domains.hosts.models import Host
from domains.libvirt import adapter


def hosts_page(request, status=200, **refused):
    """The hosts page; refused (a form the console refused: what was typed, its problems by field) fills it again."""
    hosts = permissions.restrict(Host.objects.all(), request.user)
    rows = [(host, adapter.health_of(host)) for host in hosts]
    return render(request, "hosts/hosts.html", {
        "rows": rows, "may_add": permissions.has_perm(request.user, "manage_hosts"),
        "remove_details": confirm_details([_("The console forgets the host and stops watching it."),
                                           _("Its domains, pools and networks are not touched in libvirt.")]),
        "may_manage": permissions.has_perm_somewhere(request.user, "manage_hosts"), **refused},
        status=status)


def problems_of(exc):
    """The refusal's words by field ({"name": [...]}, {"uri": [...]}); none when it names no field (shown as a toast)."""
    return exc.fields if isinstance(exc.fields, dict) else {}


def kept(typed):
    """What was typed, to fill the refused form again: all but a password in the URI, which is never shown."""
    return {**typed, "uri": redact_url_passwords(typed["uri"] or "")}


@require_GET
def host_list(request):
    return hosts_page(request)


@require_POST
def host_add(request):
    typed = {"name": request.POST.get("name", ""), "uri": request.POST.get("uri", "")}
    try:
        host = do_add_host(request.user, typed["name"], typed["uri"],
                           enabled=request.POST.get("enabled", "on") == "on", source_address=client_address(request))
    except ConsoleError as exc:
        messages.error(request, exc.message)
        return hosts_page(request, status=400, add_typed=kept(typed), add_problems=problems_of(exc))
    messages.success(request, _("Host '%(name)s' added.") % {"name": host.name})
    return redirect("host-list")


@require_POST
def host_update(request, host_id):
    host = visible(request.user, Host, host_id)
    # None: a field not sent is left as it is (the embedded host's URI).
    typed = {"name": request.POST.get("name"), "uri": request.POST.get("uri"), "enabled": request.POST.get("enabled") == "on"}
    try:
        do_update_host(request.user, host, name=typed["name"], uri=typed["uri"], enabled=typed["enabled"],
                       source_address=client_address(request))
    except ConsoleError as exc:
        messages.error(request, exc.message)
        return hosts_page(request, status=400, edit_host=host.pk, typed=kept(typed), problems=problems_of(exc))
    messages.success(request, _("Host '%(name)s' saved.") % {"name": host.name})
    return redirect("host-list")


@require_POST
def host_remove(request, host_id):
    host = visible(request.user, Host, host_id)
    perform(request, lambda: do_remove_host(request.user, host, source_address=client_address(request)),
            _("Host '%(name)s' removed.") % {"name": host.name})
    return redirect("host-list")
