"""Definition pages: structured forms, raw XML editor, import/export, history with diff and rollback, create."""

from dataclasses import fields as dataclass_fields

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from console.confirm import confirm_details
from console.definitions.units import shown_in_unit, with_memory_in_mib
from console.page_actions import Unchanged, perform, tell
from console.units import binary_size_kib
from domains.access import permissions
from domains.access.lookups import client_address, visible
from domains.access.permissions import route_permission
from domains.definitions.actions import (
    do_define,
    do_edit,
    do_rollback,
    ensure_first_revision,
)
from domains.definitions.create import NewDomain, do_create_domain, host_offer
from domains.definitions.forms import form_edit
from domains.definitions.models import RevisionSource
from domains.definitions.policy import DefinitionPolicyRefusal
from domains.definitions.state import definition_state
from domains.definitions.xml import (
    MAX_BYTES,
    DefinitionError,
    ValidationIssue,
)
from domains.definitions.xml.device_edits import DISK_BUSES, DISK_CACHES, NIC_MODELS
from domains.definitions.xml.edits import BOOT_DEVICES
from domains.errors import ConsoleError
from domains.hosts.models import Host
from domains.libvirt.adapter import VirtError
from domains.lifecycle.actions import do_domain_action
from domains.lifecycle.models import Domain


def _issues(exc):
    return exc.issues if isinstance(exc, DefinitionError) else [ValidationIssue(exc.message)]


def _refused_status(exc):
    """403 for a change the definition policy refuses (a permission question), 400 for a wrong definition."""
    return 403 if isinstance(exc, DefinitionPolicyRefusal) else 400


def _saved(change, done):
    """The words for a definition change: its revision, or that nothing changed."""
    if change is None or not change.changed:
        return Unchanged(_("%(done)s: the definition was already like this, nothing changed.") % {"done": done})
    return _("%(done)s: revision %(number)s.") % {"done": done, "number": change.revision.number}


# The memory form's fields typed in MiB or GiB: (field, its unit's field, the MiB field forms.py reads, its name).
MEMORY_FIELDS = (("memory", "memory_unit", "memory_mib", gettext_lazy("Current memory")),
                 ("max_memory", "max_memory_unit", "max_memory_mib", gettext_lazy("Maximum memory")))


def _memory_values(state, typed):
    """The memory form's prefill: what the user typed when it was refused, else the definition's in MiB or GiB."""
    if typed:
        return {field: typed.get(field, "") for field in ("memory", "memory_unit", "max_memory", "max_memory_unit")}
    memory, memory_unit = shown_in_unit(state.memory_mib)
    max_memory, max_memory_unit = shown_in_unit(state.max_memory_mib)
    return {"memory": memory, "memory_unit": memory_unit, "max_memory": max_memory, "max_memory_unit": max_memory_unit}


def _page(request, domain, form=None, issues=(), status=200):
    try:
        state, error = definition_state(domain), ""
    except VirtError as exc:
        state, error = None, exc.message
    # A refused form is shown again as the user typed it; the other forms show the definition.
    typed = request.POST if form else {}
    return render(request, "definitions/definition.html", {
        "domain": domain, "state": state, "error": error, "failed_form": form, "issues": issues, "typed": typed,
        "may_write": permissions.has_perm(request.user, "write", domain),
        "memory_values": _memory_values(state, typed if form == "memory" else None) if state else {},
        "memory_units": ("MiB", "GiB"),
        "boot_devices": BOOT_DEVICES, "buses": DISK_BUSES, "caches": DISK_CACHES, "nic_models": NIC_MODELS,
        "nic_kinds": ("network", "bridge", "direct", "user"),
    }, status=status)


@require_GET
@route_permission("read", note="on the domain")
def definition_page(request, uuid):
    return _page(request, visible(request.user, Domain, uuid, "read"))


@require_POST
@route_permission("write", note="on the domain (autostart too)")
def definition_form(request, uuid, form):
    domain = visible(request.user, Domain, uuid, "write")
    try:
        if form == "autostart":
            action = "autostart_on" if request.POST.get("autostart") == "on" else "autostart_off"
            messages.success(request, do_domain_action(request.user, domain, action,
                                                       source_address=client_address(request)))
            return redirect("domain-definition", uuid=domain.uuid)
        post = with_memory_in_mib(request.POST, MEMORY_FIELDS) if form == "memory" else request.POST
        edit, done = form_edit(form, post)
        change = do_edit(request.user, domain, edit, request.POST.get("reason", ""), source_address=client_address(request))
    except ConsoleError as exc:
        return _page(request, domain, form, _issues(exc), status=_refused_status(exc))
    tell(request, _saved(change, done))
    return redirect("domain-definition", uuid=domain.uuid)


def _editor(request, domain, xml, issues=(), status=200):
    return render(request, "definitions/editor.html", {
        "domain": domain, "xml": xml, "issues": issues, "issue_dicts": [i.as_dict() for i in issues],
        "may_write": permissions.has_perm(request.user, "write", domain),
    }, status=status)


@require_http_methods(["GET", "POST"])
@route_permission(GET="read", POST="write", note="on the domain")
def definition_xml(request, uuid):
    domain = visible(request.user, Domain, uuid, "write" if request.method == "POST" else "read")
    if request.method == "POST":
        xml = request.POST.get("xml", "")
        try:
            change = do_define(request.user, domain, xml, request.POST.get("reason", ""),
                               source_address=client_address(request))
        except ConsoleError as exc:
            # A rejected edit stays in the editor, with its errors next to their lines.
            return _editor(request, domain, xml, _issues(exc), status=_refused_status(exc))
        tell(request, _saved(change, _("Definition saved")))
        return redirect("domain-definition-xml", uuid=domain.uuid)
    try:
        revision = ensure_first_revision(domain) if not domain.gone else domain.revisions.first()
    except VirtError as exc:
        return _editor(request, domain, "", [ValidationIssue(exc.message)], status=502)
    return _editor(request, domain, revision.xml if revision else "")


@require_GET
@route_permission("read", note="on the domain")
def definition_export(request, uuid):
    domain = visible(request.user, Domain, uuid, "read")
    number = request.GET.get("revision", "")
    revision = (domain.revisions.filter(number=int(number)).first() if number.isdigit()
                else ensure_first_revision(domain) if not domain.gone else domain.revisions.first())
    if revision is None:
        return HttpResponse(_("No such revision."), status=404, content_type="text/plain")
    response = HttpResponse(revision.xml, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{revision.name}-r{revision.number}.xml"'
    return response


# The history lists what a rollback changes for this many revisions; older ones say it in general words.
ROLLBACK_DETAILED = 50


def rollback_details(revision, latest):
    """What rolling back to revision changes, in the confirmation dialog's lines (latest is the current one)."""
    lines = [_("The definition becomes what revision %(number)s was; a new revision records the rollback, so it "
               "can be undone.") % {"number": revision.number}]
    changed = [line for line in latest.diff_lines(revision) if line.kind in ("add", "remove")]
    added = sum(line.kind == "add" for line in changed)
    lines.append(_("%(removed)s line(s) of the current XML go, %(added)s come back.")
                 % {"removed": len(changed) - added, "added": added})
    if (latest.vcpus, latest.max_vcpus) != (revision.vcpus, revision.max_vcpus):
        lines.append(_("vCPUs: %(old)s → %(new)s") % {"old": f"{latest.vcpus}/{latest.max_vcpus}",
                                                      "new": f"{revision.vcpus}/{revision.max_vcpus}"})
    if latest.memory_kib != revision.memory_kib:
        lines.append(_("Memory: %(old)s → %(new)s") % {"old": binary_size_kib(latest.memory_kib),
                                                       "new": binary_size_kib(revision.memory_kib)})
    if (latest.disk_count, latest.nic_count) != (revision.disk_count, revision.nic_count):
        lines.append(_("Disks: %(old_disks)s → %(new_disks)s; network interfaces: %(old_nics)s → %(new_nics)s")
                     % {"old_disks": latest.disk_count, "new_disks": revision.disk_count,
                        "old_nics": latest.nic_count, "new_nics": revision.nic_count})
    lines.append(_("A running domain keeps its current settings until it is next started."))
    return lines


@require_GET
@route_permission("read", note="on the domain")
def definition_history(request, uuid):
    domain = visible(request.user, Domain, uuid, "read")
    if not domain.gone:
        try:
            ensure_first_revision(domain)
        except VirtError as exc:
            messages.error(request, exc.message)
    revisions = list(domain.revisions.newest_first())
    may_write = permissions.has_perm(request.user, "write", domain)
    if may_write and revisions:
        for older in revisions[1:ROLLBACK_DETAILED]:
            older.rollback_details = confirm_details(rollback_details(older, revisions[0]))
    numbers = [r.number for r in revisions]
    old_n, new_n = request.GET.get("from", ""), request.GET.get("to", "")
    diff, pair = None, None
    if old_n.isdigit() and new_n.isdigit() and int(old_n) in numbers and int(new_n) in numbers:
        old, new = (next(r for r in revisions if r.number == int(n)) for n in (old_n, new_n))
        pair = (old, new)
        diff = old.diff_lines(new)
    return render(request, "definitions/history.html", {
        "domain": domain, "revisions": revisions, "diff": diff, "pair": pair, "may_write": may_write,
        "rollback_detailed": ROLLBACK_DETAILED})


@require_GET
@route_permission("read", note="on the domain")
def definition_revision(request, uuid, number):
    domain = visible(request.user, Domain, uuid, "read")
    revision = domain.revisions.filter(number=number).first()
    if revision is None:
        return render(request, "definitions/history.html", {"domain": domain, "missing": number}, status=404)
    may_write = permissions.has_perm(request.user, "write", domain)
    latest = domain.revisions.newest_first().first()
    if may_write and latest is not None and latest.number != revision.number:
        revision.rollback_details = confirm_details(rollback_details(revision, latest))
    return render(request, "definitions/revision.html", {"domain": domain, "revision": revision, "may_write": may_write})


@require_POST
@route_permission("write", note="on the domain")
def definition_rollback(request, uuid, number):
    domain = visible(request.user, Domain, uuid, "write")
    revision = domain.revisions.filter(number=number).first()

    def rollback():
        if revision is None:
            raise DefinitionError(_("There is no revision %(number)s of '%(name)s'.")
                                  % {"number": number, "name": domain.name})
        return do_rollback(request.user, domain, revision, request.POST.get("reason", ""),
                           source_address=client_address(request))

    perform(request, rollback, lambda change: _saved(change, _("Rolled back to revision %(number)s") % {"number": number}),
            failed=_("Rollback to revision %(number)s failed: ") % {"number": number})
    return redirect("domain-definition-history", uuid=domain.uuid)


def _new_domain(post):
    values = {}
    for spec_field in dataclass_fields(NewDomain):
        raw = post.get(spec_field.name)
        if raw is None or raw == "":
            continue
        if spec_field.type == "int" or spec_field.type is int:
            if not raw.strip().isdigit():
                raise DefinitionError(_("%(field)s must be a whole number, not %(value)r.")
                                      % {"field": spec_field.name.replace("_", " "), "value": raw})
            raw = int(raw)
        values[spec_field.name] = raw.strip() if isinstance(raw, str) else raw
    return NewDomain(**{"name": "", "arch": "", "machine": "", **values})


# Words in a refusal of the create form -> the field it is about (the first that matches), so the page points there.
CREATE_FIELD_WORDS = (
    ("domain name", "name"), ("name ", "name"), ("vcpu", "vcpus"), ("memory", "memory"), ("mib", "memory"),
    ("disk directory", "disk_dir"), (".qcow2", "disk_dir"), ("disk's size", "disk_gib"), ("disk gib", "disk_gib"),
    ("storage volume", "volume"), ("machine", "machine"), ("virtualization", "domain_type"),
    ("firmware", "firmware"), ("guests", "arch"),
)


def refused_field(issues, field_words):
    """The form field the first issue speaks of, or "" when none says."""
    for issue in issues[:1]:
        text = issue.message.lower()
        for words, field in field_words:
            if words in text:
                return field
    return ""


@require_http_methods(["GET", "POST"])
@route_permission("define_domains", note="on the host")
def host_domain_create(request, host_id):
    host = visible(request.user, Host, host_id, "define_domains")
    issues, status, values = (), 200, {"memory": 512, "memory_unit": "MiB", "vcpus": 1, "disk_gib": 8}
    if request.method == "POST":
        values = request.POST.copy()
        values.setdefault("memory", request.POST.get("memory_mib", ""))
        try:
            post = with_memory_in_mib(request.POST, (MEMORY_FIELDS[0],))
            change = do_create_domain(request.user, host, _new_domain(post), client_address(request))
        except ConsoleError as exc:
            issues, status = _issues(exc), _refused_status(exc)
        else:
            messages.success(request, _("Domain '%(name)s' created.") % {"name": change.domain.name})
            return redirect("domain-definition", uuid=change.domain.uuid)
    try:
        offer, error = host_offer(host), ""
    except VirtError as exc:
        offer, error = None, exc.message
    return render(request, "definitions/create.html", {
        "host": host, "offer": offer, "error": error, "issues": issues, "values": values,
        "invalid": refused_field(issues, CREATE_FIELD_WORDS), "memory_units": ("MiB", "GiB")}, status=status)


@require_http_methods(["GET", "POST"])
@route_permission("define_domains", note="on the host")
def host_domain_import(request, host_id):
    host = visible(request.user, Host, host_id, "define_domains")
    xml, issues, status = "", (), 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        xml = upload.read(MAX_BYTES + 1) if upload else request.POST.get("xml", "")
        try:
            change = do_define(request.user, host, xml, request.POST.get("reason", ""), RevisionSource.IMPORT,
                               client_address(request))
        except ConsoleError as exc:
            issues, status = _issues(exc), _refused_status(exc)
            xml = xml.decode("utf-8", "replace") if isinstance(xml, bytes) else xml
        else:
            messages.success(request, _("Domain '%(name)s' imported.") % {"name": change.domain.name})
            return redirect("domain-definition", uuid=change.domain.uuid)
    return render(request, "definitions/import.html", {"host": host, "xml": xml, "issues": issues,
                                                       "issue_dicts": [i.as_dict() for i in issues]}, status=status)
