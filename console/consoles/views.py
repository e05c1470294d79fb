"""The console pages: serial console (xterm.js) and graphical console (noVNC) of one domain."""

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from domains.access import permissions
from domains.access.lookups import libvirt_domain, visible
from domains.access.permissions import route_permission
from domains.errors import ConsoleError
from domains.libvirt import adapter
from domains.lifecycle.models import Domain


def _running(domain):
    """(whether the domain runs, libvirt's words when its host did not answer). A page of a domain that does not
    run opens no console socket: it would only be refused (and noVNC would report that as an error)."""
    if domain.gone:
        return False, ""
    try:
        return adapter.is_running(libvirt_domain(domain)), ""
    except ConsoleError as exc:
        return False, exc.message


def _words(domain, kind, may_start):
    """What the page's script says, translated here; the script fills in {placeholders} (word() in page.js)."""
    words = {
        "connecting": _("connecting…"),
        # The status starts with "connected" while a session is open (tests and scripts read it).
        "connected": _("connected"),
        "disconnected": _("disconnected"),
        "lost": _("disconnected: the connection was lost (the domain stopped, the server restarted, or you lost "
                  "access). Reconnect to try again."),
        "stopped": _("disconnected: the domain stopped."),
        "starting": _("starting '%(name)s'…") % {"name": domain.name},
        "start_failed": _("Could not start the domain: {reason}"),
        "ticket_refused": _("The console ticket was refused (HTTP {status})."),
        "fullscreen_failed": _("Full screen is not available: {reason}"),
    }
    if kind == "vnc":
        words.update({
            "not_running": (_("'%(name)s' is not running: start it to use its screen.") if may_start else
                            _("'%(name)s' is not running; its screen shows here once it is started.")
                            ) % {"name": domain.name},
            "refused": _("disconnected: the VNC server refused the connection ({reason})."),
            "clipboard_sent": _("Sent to the guest's clipboard."),
        })
    else:
        words.update({
            "not_running": (_("'%(name)s' is not running: start it to use its serial console.") if may_start else
                            _("'%(name)s' is not running; its serial console opens here once it is started.")
                            ) % {"name": domain.name},
            "taken_over": _("connected (taken over)"),
            "busy": _("{holder} is using this console. Take it over if you may."),
            # Why the server ended the session (console.closed's reason): the server's own words otherwise.
            "closed_domain_stopped": _("disconnected: the domain stopped."),
            "closed_taken_over": _("disconnected: someone else took over this console. Reconnect to take it back."),
            "closed_logged_out": _("disconnected: you were signed out. Sign in again to use the console."),
            "closed_permission_lost": _("disconnected: you may no longer use this console."),
            "closed_domain_moved": _("disconnected: the domain moved to another host. Reload the page to open its "
                                     "console there."),
            "copied": _("Copied the selection."),
            "nothing_selected": _("Select text in the terminal first."),
            "clipboard_failed": _("The browser did not allow the clipboard: {reason}"),
        })
    return words


def _page(request, uuid, permission, kind, template):
    domain = visible(request.user, Domain, uuid, permission)
    running, host_error = _running(domain)
    user = request.user
    may_start = not domain.gone and permissions.has_perm(user, "start", domain)
    return render(request, template, {
        "domain": domain,
        "kind": kind,
        "words": _words(domain, kind, may_start),
        "running": running,
        "host_error": host_error,
        "tickets_url": reverse("api-console-tickets", args=[domain.uuid]),
        "actions_url": reverse("api-domain-actions", args=[domain.uuid]),
        "may_take_over": permissions.has_perm(user, "console_takeover", domain),
        "may_start": may_start,
        # The switch between the two consoles inside the Console tab: each only for who may open it.
        "may_screen": permissions.has_perm(user, "open_graphics", domain),
        "may_serial": permissions.has_perm(user, "open_device", domain),
        "function_keys": range(1, 13),  # Ctrl-Alt-F1..F12 on the screen page
    })


@route_permission("open_device")
@require_GET
def serial_console(request, uuid):
    return _page(request, uuid, "open_device", "serial", "consoles/serial.html")


@route_permission("open_graphics")
@require_GET
def vnc_console(request, uuid):
    return _page(request, uuid, "open_graphics", "vnc", "consoles/vnc.html")
