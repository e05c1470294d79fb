"""The domain's Clone page: name, host and per-disk choices in a form, the clone started as a job the Jobs page
follows; choosing another host re-renders the form (GET ?host=) with that host's pools; a refused clone renders it
again with what was chosen and the field at fault."""

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from console.page_actions import perform
from domains.access import permissions
from domains.access.lookups import client_address, libvirt_domain, visible
from domains.clones.actions import PERMISSION, chosen_disks, do_clone_domain
from domains.clones.destination import describe_remote_disks, destination_hosts
from domains.clones.plan import MODES, describe_disks
from domains.definitions.models import RevisionSource
from domains.errors import ConsoleError
from domains.libvirt import storage as libvirt_storage
from domains.lifecycle.models import Domain
from domains.quotas.limits import usage_rows
from domains.storage.lookups import pool_row

MODE_WORDS = {"copy": gettext_lazy("copy"), "linked": gettext_lazy("linked clone (qcow2 overlay on this disk)"),
              "share": gettext_lazy("share (same image)")}
FORMATS = ("raw", "qcow2")


def _pools(user, host):
    """Names of the host's active pools user may make volumes in ([] where the host has no storage)."""
    try:
        handles = libvirt_storage.active_pools(host)
    except ConsoleError:
        return []
    rows = [pool_row(host, handle) for handle in handles]
    return sorted(row.name for row in rows if permissions.has_perm(user, "storage_vol.create", row))


def _chosen_host(values, domain, hosts):
    """The host the form clones onto: host= when it is one of hosts, else the domain's own."""
    wanted = str(values.get("host", ""))
    return next((host for host in hosts if str(host.pk) == wanted), domain.host)


def _with_choices(disks, values):
    """The disks' rows with what the form had chosen for each (a refused form shows it again)."""
    return [{**disk, "mode": values.get(f"mode-{disk['target']}") or disk.get("default"),
             "pool_chosen": values.get(f"pool-{disk['target']}", ""),
             "format_chosen": values.get(f"format-{disk['target']}", "")} for disk in disks]


def _form(request, domain, values, status=200, errors=None):
    """The form; values are the query's (GET) or the refused form's (POST), errors its fields at fault."""
    hosts = destination_hosts(request.user, domain.host)
    host = _chosen_host(values, domain, hosts)
    try:
        dom = libvirt_domain(domain)
        disks = describe_disks(domain, dom) if host == domain.host else describe_remote_disks(domain, dom)
        problem = ""
    except ConsoleError as exc:
        disks, problem = [], exc.message
    errors = errors or {}
    return render(request, "clones/clone.html", {
        "domain": domain, "disks": _with_choices(disks, values), "problem": problem,
        "pools": _pools(request.user, host), "formats": FORMATS, "modes": [(mode, MODE_WORDS[mode]) for mode in MODES],
        "name": values.get("name") or f"{domain.name}-clone", "hosts": hosts, "host": host,
        "remote": host != domain.host, "errors": errors,
        # The field the refusal points at first takes the focus.
        "focus": next((name for name in ("name", "host", "disks") if errors.get(name)), ""),
        "may_define": permissions.has_perm(request.user, "define_domains", host),
        "quota": usage_rows(request.user)}, status=status)


@permissions.route_permission(PERMISSION, note="on the domain; the clone itself needs define_domains on the host "
                                              "and storage grants on the pools")
@require_http_methods(["GET", "POST"])
def domain_clone(request, uuid):
    """GET: the form; POST: start the clone and follow it on the Jobs page (progress, cancel)."""
    domain = visible(request.user, Domain, uuid, PERMISSION)
    if request.method == "GET":
        return _form(request, domain, request.GET)
    name = request.POST.get("name", "").strip()
    host = request.POST.get("host", "").strip()
    host = int(host) if host.isdigit() else (host or None)
    targets = [key[len("mode-"):] for key in request.POST if key.startswith("mode-")]
    errors = {}

    def clone():
        return do_clone_domain(request.user, domain, name, chosen_disks(request.POST, targets),
                               RevisionSource.CONSOLE, client_address(request), host=host)

    started = perform(request, clone,
                      lambda job: _("Cloning '%(source)s' as '%(name)s' (job %(job)s): its progress shows here; "
                                    "cancel it here to remove what it made.") % {
                          "source": domain.name, "name": name, "job": job.pk},
                      failed=_("Not cloned: "), errors=errors)
    if started:
        return redirect(reverse("job-list"))
    # Refused: the form again, with what was chosen and the field at fault.
    return _form(request, domain, request.POST, status=400, errors=errors)
