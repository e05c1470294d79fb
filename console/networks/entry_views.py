"""A network page's static DHCP hosts and DNS host entries: the forms that add and remove them, live."""

from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from console.networks.lookups import network_for_page
from console.page_actions import perform
from domains.access import permissions
from domains.access.lookups import client_address
from domains.networks.host_entries import (
    UPDATE_PERMISSIONS,
    do_add_dhcp_host,
    do_add_dns_host,
    do_remove_dhcp_host,
    do_remove_dns_host,
)

route_permission = permissions.route_permission
NOTE = "on the network's host; libvirt checks network.write and network.save for a live and persistent update"


def _entry_change(request, host_id, name, change, done):
    row, handle = network_for_page(request, host_id, name, "network.write")
    perform(request, lambda: change(row, handle, request.POST), done(row))
    return redirect("network-detail", host_id, name)


def _text(form, key):
    return form.get(key, "").strip() or None


@route_permission(UPDATE_PERMISSIONS, note=NOTE)
@require_POST
def dhcp_host_add(request, host_id, name):
    return _entry_change(request, host_id, name, lambda row, handle, form: do_add_dhcp_host(
        request.user, row, handle, ip=form.get("ip", "").strip(), mac=_text(form, "mac"), name=_text(form, "name"),
        source_address=client_address(request)),
        lambda row: _("Static DHCP host %(ip)s added to '%(name)s'.") % {"ip": request.POST.get("ip", "").strip(),
                                                                          "name": row.name})


@route_permission(UPDATE_PERMISSIONS, note=NOTE)
@require_POST
def dhcp_host_remove(request, host_id, name):
    return _entry_change(request, host_id, name, lambda row, handle, form: do_remove_dhcp_host(
        request.user, row, handle, mac=_text(form, "mac"), name=_text(form, "name"),
        source_address=client_address(request)),
        lambda row: _("Static DHCP host removed from '%(name)s'.") % {"name": row.name})


@route_permission(UPDATE_PERMISSIONS, note=NOTE)
@require_POST
def dns_host_add(request, host_id, name):
    return _entry_change(request, host_id, name, lambda row, handle, form: do_add_dns_host(
        request.user, row, handle, ip=form.get("ip", "").strip(),
        hostnames=[word for word in form.get("hostnames", "").replace(",", " ").split() if word],
        source_address=client_address(request)),
        lambda row: _("DNS entry for %(ip)s added to '%(name)s'.") % {"ip": request.POST.get("ip", "").strip(),
                                                                       "name": row.name})


@route_permission(UPDATE_PERMISSIONS, note=NOTE)
@require_POST
def dns_host_remove(request, host_id, name):
    return _entry_change(request, host_id, name, lambda row, handle, form: do_remove_dns_host(
        request.user, row, handle, ip=form.get("ip", "").strip(), source_address=client_address(request)),
        lambda row: _("DNS entry for %(ip)s removed from '%(name)s'.") % {"ip": request.POST.get("ip", "").strip(),
                                                                         "name": row.name})
