"""The console pages: serial console (xterm.js) and graphical console (noVNC) of one domain."""

from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from domains.access import permissions
from domains.access.lookups import visible
from domains.access.permissions import route_permission
from domains.lifecycle.models import Domain


def _page(request, uuid, permission, template):
    domain = visible(request.user, Domain, uuid, permission)
    return render(request, template, {
        "domain": domain,
        "tickets_url": reverse("api-console-tickets", args=[domain.uuid]),
        "may_take_over": permissions.has_perm(request.user, "console_takeover", domain),
    })


@route_permission("open_device")
@require_GET
def serial_console(request, uuid):
    return _page(request, uuid, "open_device", "consoles/serial.html")


@route_permission("open_graphics")
@require_GET
def vnc_console(request, uuid):
    return _page(request, uuid, "open_graphics", "consoles/vnc.html")
