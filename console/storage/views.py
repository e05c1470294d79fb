"""Pool pages: a host's pools, one pool (numbers, definition, actions, history), the create form, the XML editor."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from console.page_actions import perform, tell
from console.storage.lookups import pool_for_page
from console.storage.volume_views import volume_section_context
from domains.access import permissions
from domains.access.lookups import client_address, visible
from domains.errors import ConsoleError
from domains.hosts.models import Host
from domains.libvirt import storage as libvirt_storage
from domains.storage.models import PoolRevision
from domains.storage.pools.actions import (
    ACTION_PERMISSIONS,
    do_define_pool,
    do_delete_pool,
    do_pool_action,
    do_update_pool_xml,
    ensure_first_revision,
)
from domains.storage.pools.capabilities import FIELD_HELP, pool_types
from domains.storage.pools.facts import pool_facts
from domains.storage.pools.inventory import pools_seen_by
from domains.storage.pools.policy import allowed_roots

route_permission = permissions.route_permission


@route_permission("getattr", note="on the host; lists the pools the user may see")
@require_GET
def pool_list(request, host_id):
    host = visible(request.user, Host, host_id)
    rows, problem = [], None
    try:
        rows = [pool_facts(row, handle) for row, handle in pools_seen_by(request.user, host)]
    except ConsoleError as exc:
        problem = exc.message
    return render(request, "storage/pools.html", {
        "host": host, "pools": rows, "problem": problem,
        "may_define": permissions.has_perm(request.user, "storage_pool.write", host)})


@route_permission("storage_pool.getattr", note="on the pool")
@require_GET
def pool_detail(request, host_id, name):
    row, handle = pool_for_page(request, host_id, name)
    may_read = permissions.has_perm(request.user, "storage_pool.read", row)
    xml = libvirt_storage.pool_xml(handle) if may_read else None
    if may_read:
        ensure_first_revision(row, handle)
    facts = pool_facts(row, handle)
    # Only the actions that would change something: start a stopped pool, stop or refresh a running one, flip
    # autostart of a persistent one; build (make the directory, format the device) either way.
    wanted = ["stop", "refresh"] if facts["active"] else ["start"]
    wanted.append("build")
    if facts["persistent"]:
        wanted.append("noautostart" if facts["autostart"] else "autostart")
    actions = [action for action in wanted if permissions.has_perm(request.user, ACTION_PERMISSIONS[action], row)]
    return render(request, "storage/pool.html", {
        "host": row.host, "pool": row, "facts": facts, "xml": xml, "actions": actions,
        "revisions": PoolRevision.objects.of(row).newest_first()[:20] if may_read else [],
        "may_delete": permissions.has_perm(request.user, "storage_pool.delete", row),
        "may_write": permissions.has_perm(request.user, "storage_pool.write", row),
        "may_grant": permissions.has_perm(request.user, "manage_grants", row),
        **volume_section_context(request, row, handle)})


def _action_done(action, name):
    """The success words of a pool action on the pool called name."""
    words = {"start": _("Pool '%(name)s' started."), "stop": _("Pool '%(name)s' stopped."),
             "refresh": _("Pool '%(name)s' refreshed."), "build": _("Pool '%(name)s' built."),
             "autostart": _("Pool '%(name)s' now starts with its host."),
             "noautostart": _("Pool '%(name)s' no longer starts with its host.")}
    return (words.get(action) or _("Pool '%(name)s': %(action)s done.")) % {"name": name, "action": action}


@route_permission(tuple(sorted(set(ACTION_PERMISSIONS.values()))),
                  note="the action in the URL decides")
@require_POST
def pool_action(request, host_id, name, action):
    row, handle = pool_for_page(request, host_id, name)
    perform(request, lambda: do_pool_action(request.user, row, handle, action, client_address(request)),
            _action_done(action, row.name))
    return redirect("pool-detail", host_id, name)


@route_permission("storage_pool.delete", note="host-level; purge also deletes the pool's storage")
@require_POST
def pool_delete(request, host_id, name):
    row, handle = pool_for_page(request, host_id, name)
    if perform(request, lambda: do_delete_pool(request.user, row, handle, purge=request.POST.get("purge") == "on",
                                               source_address=client_address(request)),
               _("Pool '%(name)s' undefined.") % {"name": row.name}):
        return redirect("pool-list", host_id)
    return redirect("pool-detail", host_id, name)


def form_errors(exc):
    """{form field: the refusal's words} for the create form's fields a refusal names, so the form points at them."""
    named = exc.fields if isinstance(exc.fields, dict) else {}
    errors = {}
    for key in named:
        field = {"name": "pool_name", "target path": "target", "source": "device"}.get(key, key)
        if key.startswith("source ") and key[len("source "):] in FIELD_HELP:
            field = key[len("source "):]
        errors.setdefault(field, exc.message)
    return errors


@route_permission("storage_pool.write", note="on the host; build, start and autostart need their own permissions")
@require_http_methods(["GET", "POST"])
def pool_create(request, host_id):
    host = visible(request.user, Host, host_id)
    permissions.require(request.user, "storage_pool.write", host)
    form, errors = request.POST, {}
    if request.method == "POST":
        devices = [d.strip() for d in form.get("device", "").split(",") if d.strip()]
        source = {key: form.get(key) for key in ("host", "dir", "name", "format", "adapter", "initiator")
                  if form.get(key)}
        if devices:
            source["device"] = devices
        defined = []

        def define():
            try:
                row, _handle = define_from_form()
            except ConsoleError as exc:
                errors.update({"xml": exc.message} if form.get("xml") else form_errors(exc))
                raise
            defined.append(row)
            return row

        def define_from_form():
            return do_define_pool(
                request.user, host, form.get("xml") or None,
                fields={"name": form.get("pool_name"), "type": form.get("type"), "target": form.get("target") or None,
                        "source": source},
                build=form.get("build") == "on", start=form.get("start") == "on",
                autostart=form.get("autostart") == "on", keep_on_failure=form.get("keep_on_failure") == "on",
                source_address=client_address(request))

        if perform(request, define, lambda row: _("Pool '%(name)s' defined.") % {"name": row.name}):
            return redirect("pool-detail", host.pk, defined[0].name)
    try:
        types = pool_types(host)
    except ConsoleError as exc:
        messages.error(request, exc.message)
        return redirect("pool-list", host.pk)
    return render(request, "storage/pool_create.html", {
        "host": host, "types": [t for t in types if t.supported], "unsupported": [t.type for t in types if not t.supported],
        "field_help": FIELD_HELP, "roots": allowed_roots(host), "form": form, "errors": errors,
        "first_error": next(iter(errors), None)},
        status=400 if request.method == "POST" else 200)  # a refused form comes back with what the user typed


@route_permission(GET="storage_pool.read", POST="storage_pool.write", note="on the pool (write is host-level)")
@require_http_methods(["GET", "POST"])
def pool_xml(request, host_id, name):
    row, handle = pool_for_page(request, host_id, name, "storage_pool.read")
    xml = libvirt_storage.pool_xml(handle)
    problem = None
    if request.method == "POST":
        xml = request.POST.get("xml", "")
        try:
            revision = do_update_pool_xml(request.user, row, handle, xml, request.POST.get("reason", ""),
                                          source_address=client_address(request))
            tell(request, _("Pool '%(name)s' redefined (revision %(number)s); a running pool takes the new "
                            "definition at its next start.") % {"name": row.name, "number": revision.number})
            return redirect("pool-detail", host_id, name)
        except ConsoleError as exc:
            problem = exc.message
    return render(request, "storage/pool_xml.html", {"host": row.host, "pool": row, "xml": xml, "problem": problem})


@route_permission("storage_pool.read", note="on the pool")
@require_GET
def pool_revision(request, host_id, name, number):
    row, _handle = pool_for_page(request, host_id, name, "storage_pool.read")
    revision = PoolRevision.objects.of(row).numbered(number)
    if revision is None:
        raise Http404(f"Pool '{name}' has no revision {number}.")
    previous = PoolRevision.objects.of(row).filter(number__lt=number).newest_first().first()
    return render(request, "storage/pool_revision.html", {
        "host": row.host, "pool": row, "revision": revision, "previous": previous,
        "diff": previous.diff_lines(revision) if previous else []})
