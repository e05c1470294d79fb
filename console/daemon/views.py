"""The host's libvirt daemon page: thread pools, client limits, clients, logging, idle timeout, TLS, drift, history."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from console.page_actions import Unchanged, perform, tell
from domains.access import permissions
from domains.access.lookups import client_address, visible
from domains.access.permissions import route_permission
from domains.daemon.actions import (
    DAEMON_SEEN_THROUGH,
    DEFAULT_SERVER,
    do_apply_daemon_settings,
    do_disconnect_client,
    do_reload_tls,
    do_rollback_daemon_settings,
    keeper_of,
    read_daemon,
    revisions_of,
)
from domains.daemon.models import DaemonRevisionReason, DaemonSettingsRevision
from domains.errors import ConsoleError
from domains.hosts.models import Host

# Form groups: the form fields of each, and where they go in a settings patch.
COUNT_GROUPS = {
    "threadpool": ("min_workers", "max_workers", "prio_workers"),
    "client_limits": ("max_clients", "max_unauth_clients"),
}
LOG_FIELDS = {"log_filters": "filters", "log_outputs": "outputs"}
LABELS = {"min_workers": _("min workers"), "max_workers": _("max workers"), "prio_workers": _("priority workers"),
          "max_clients": _("max clients"), "max_unauth_clients": _("max unauthenticated clients"),
          "daemon_timeout": _("daemon timeout")}


class FormProblem(ValueError):
    pass


def _count(post, name):
    """A whole number from the form, or None for a blank field (not managed)."""
    text = post.get(name, "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise FormProblem(gettext("%(field)s: %(value)s is not a whole number; leave it blank to let the daemon keep "
                                  "its own value.") % {"field": LABELS[name], "value": repr(text)})
    return int(text)


def patch_from_form(post):
    """The settings patch a page form asks for; blank fields stop managing their setting."""
    group = post.get("group", "")
    if group in COUNT_GROUPS:
        return {"server": post.get("server") or DEFAULT_SERVER,
                group: {name: _count(post, name) for name in COUNT_GROUPS[group]}}
    if group == "logging":
        # Blank means "not managed"; a filter list cannot be emptied from the page (the API can, with "").
        return {"logging": {key: post.get(name, "").strip() or None for name, key in LOG_FIELDS.items()}}
    if group == "reapply":
        return {}  # the stored settings as they are: puts a drifted daemon back on them
    if group == "daemon_timeout":
        return {"daemon_timeout": _count(post, "daemon_timeout")}
    raise FormProblem(gettext("Unknown settings group %(group)s: use the page's forms.") % {"group": repr(group)})


def _typed(form, group, server, field, desired):
    """What a form field shows: what was just typed (after a refusal) or the desired value."""
    if form.get("group") == group and (server is None or form.get("server") == server):
        return form.get(field, "")
    return "" if desired is None else desired


def _own_pid(host, state):
    """The process id of this console's own admin connection to the daemon (a client on the admin server)."""
    if not state["reachable"]:
        return None
    conn = keeper_of(host).connection
    return conn.worker_pid if conn is not None else None


def _servers(state, form):
    """Per live server: its settings with desired value, live value and drift, for the template."""
    live = state["live"] or {"servers": {}}
    desired = state["desired"].get("servers", {})
    drifting = {item["path"] for item in state["drift"]}
    servers = []
    for name, groups in live["servers"].items():
        rows = {}
        for group, fields in COUNT_GROUPS.items():
            wanted = desired.get(name, {}).get(group, {})
            rows[group] = [{"name": field, "label": LABELS[field], "desired": wanted.get(field),
                            "live": groups[group][field],
                            "value": _typed(form, group, name, field, wanted.get(field)),
                            "drift": f"servers.{name}.{group}.{field}" in drifting} for field in fields]
        pool, limits = groups["threadpool"], groups["client_limits"]
        servers.append({"name": name, "clients": state["clients"].get(name, []), "groups": [
            {"key": "threadpool", "title": _("Thread pool"), "apply": _("Apply the thread pool"), "rows": rows["threadpool"], "counters": [
                (_("current workers"), pool["current_workers"]), (_("free workers"), pool["free_workers"]),
                (_("job queue depth"), pool["job_queue_depth"])]},
            {"key": "client_limits", "title": _("Client limits"), "apply": _("Apply the client limits"), "rows": rows["client_limits"], "counters": [
                (_("clients now"), limits["clients"]), (_("unauthenticated clients now"), limits["unauth_clients"])]},
        ]})
    return servers


def _page(request, host, status=200, form_error="", form=None):
    form = form or {}
    state = read_daemon(request.user, host)
    drifting = {item["path"] for item in state["drift"]}
    logging_desired = state["desired"].get("logging", {})
    live_logging = (state["live"] or {}).get("logging", {})
    return render(request, "daemon/host_daemon.html", {
        "host": host, "state": state, "servers": _servers(state, form),
        "logging": [{"name": name, "key": key, "desired": logging_desired.get(key), "live": live_logging.get(key),
                     "value": _typed(form, "logging", None, name, logging_desired.get(key)),
                     "drift": f"logging.{key}" in drifting} for name, key in LOG_FIELDS.items()],
        "timeout_value": _typed(form, "daemon_timeout", None, "daemon_timeout",
                                state["desired"].get("daemon_timeout")),
        "may_write": permissions.has_perm(request.user, "daemon_write", host),
        "revisions": revisions_of(request.user, host)[:50],
        "form_error": form_error, "own_pid": _own_pid(host, state),
        # The form a refusal came from: its fields are marked and the first one takes the focus.
        "form_group": form.get("group") if form_error else None, "form_server": form.get("server"),
    }, status=status)


@require_GET
@route_permission("daemon_read", note="on the host")
def host_daemon(request, host_id):
    return _page(request, visible(request.user, Host, host_id, "daemon_read", DAEMON_SEEN_THROUGH))


@require_POST
@route_permission("daemon_write", note="on the host")
def host_daemon_apply(request, host_id):
    host = visible(request.user, Host, host_id, "daemon_write", DAEMON_SEEN_THROUGH)
    try:
        patch = patch_from_form(request.POST)
        revision = do_apply_daemon_settings(request.user, host, patch, client_address(request),
                                            reason=DaemonRevisionReason.CONSOLE)
    except (FormProblem, ConsoleError) as exc:
        # The form again, with what was typed and the checker's or libvirt's words.
        return _page(request, host, status=getattr(exc, "status", 400), form_error=getattr(exc, "message", str(exc)),
                     form=request.POST)
    if revision is None:
        tell(request, Unchanged(gettext("The desired settings were already like this: nothing changed.")))
    else:
        tell(request, gettext("Applied to the daemon and stored as revision %(number)s.") % {"number": revision.number})
    return redirect("host-daemon", host_id=host.pk)


@require_POST
@route_permission("daemon_write", note="on the host")
def host_daemon_rollback(request, host_id, number):
    host = visible(request.user, Host, host_id, "daemon_write", DAEMON_SEEN_THROUGH)
    revision = DaemonSettingsRevision.objects.filter(settings__host=host).numbered(number)
    if revision is None:
        messages.error(request, gettext("There is no revision %(number)s of the daemon settings of '%(host)s'.")
                       % {"number": number, "host": host})
        return redirect("host-daemon", host_id=host.pk)
    perform(request, lambda: do_rollback_daemon_settings(request.user, host, revision, client_address(request)),
            lambda rolled: Unchanged(gettext("The daemon and the desired settings were already as in revision "
                                             "%(number)s.") % {"number": number})
            if rolled is None else gettext("Rolled back to revision %(number)s: stored as revision %(stored)s.")
            % {"number": number, "stored": rolled.number},
            failed=gettext("Rollback to revision %(number)s failed: ") % {"number": number})
    return redirect("host-daemon", host_id=host.pk)


@require_POST
@route_permission("daemon_write", note="on the host")
def host_daemon_disconnect(request, host_id, client_id):
    host = visible(request.user, Host, host_id, "daemon_write", DAEMON_SEEN_THROUGH)
    server = request.POST.get("server") or DEFAULT_SERVER
    perform(request, lambda: do_disconnect_client(request.user, host, server, client_id, client_address(request)),
            gettext("Client %(client)s of %(server)s was disconnected.") % {"client": client_id, "server": server})
    return redirect("host-daemon", host_id=host.pk)


@require_POST
@route_permission("daemon_write", note="on the host")
def host_daemon_tls_reload(request, host_id):
    host = visible(request.user, Host, host_id, "daemon_write", DAEMON_SEEN_THROUGH)
    server = request.POST.get("server") or DEFAULT_SERVER
    perform(request, lambda: do_reload_tls(request.user, host, server, client_address(request)),
            gettext("%(server)s re-read its TLS certificates and CRL.") % {"server": server})
    return redirect("host-daemon", host_id=host.pk)
