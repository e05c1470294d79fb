"""The domain's Clone page: name and per-disk choices in a form, the clone started as a job the Jobs page follows."""

from urllib.parse import urlencode

from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from console.page_actions import perform
from domains.access import permissions
from domains.access.lookups import client_address, libvirt_domain, visible
from domains.clones.actions import PERMISSION, chosen_disks, do_clone_domain
from domains.clones.plan import MODES, describe_disks
from domains.definitions.models import RevisionSource
from domains.errors import ConsoleError
from domains.libvirt import storage as libvirt_storage
from domains.lifecycle.models import Domain
from domains.quotas.limits import usage_rows
from domains.storage.lookups import pool_row

MODE_WORDS = {"copy": "copy", "linked": "linked clone (qcow2 overlay on this disk)", "share": "share (same image)"}
FORMATS = ("raw", "qcow2")


def _pools(user, host):
    """Names of the host's active pools user may make volumes in ([] where the host has no storage)."""
    try:
        handles = libvirt_storage.active_pools(host)
    except ConsoleError:
        return []
    rows = [pool_row(host, handle) for handle in handles]
    return sorted(row.name for row in rows if permissions.has_perm(user, "storage_vol.create", row))


def _form(request, domain):
    try:
        dom = libvirt_domain(domain)
        disks, problem = describe_disks(domain, dom), ""
    except ConsoleError as exc:
        disks, problem = [], exc.message
    return render(request, "clones/clone.html", {
        "domain": domain, "disks": disks, "problem": problem, "pools": _pools(request.user, domain.host),
        "formats": FORMATS, "modes": [(mode, MODE_WORDS[mode]) for mode in MODES],
        "name": request.GET.get("name") or f"{domain.name}-clone",
        "may_define": permissions.has_perm(request.user, "define_domains", domain.host),
        "quota": usage_rows(request.user)})


@permissions.route_permission(PERMISSION, note="on the domain; the clone itself needs define_domains on the host "
                                              "and storage grants on the pools")
@require_http_methods(["GET", "POST"])
def domain_clone(request, uuid):
    """GET: the form; POST: start the clone and follow it on the Jobs page (progress, cancel)."""
    domain = visible(request.user, Domain, uuid, PERMISSION)
    if request.method == "GET":
        return _form(request, domain)
    name = request.POST.get("name", "").strip()
    targets = [key[len("mode-"):] for key in request.POST if key.startswith("mode-")]
    started = perform(request, lambda: do_clone_domain(request.user, domain, name,
                                                        chosen_disks(request.POST, targets),
                                                        RevisionSource.CONSOLE, client_address(request)),
                      lambda job: f"Cloning '{domain.name}' as '{name}' (job {job.pk}): its progress shows here; "
                                  "cancel it here to remove what it made.", failed="Not cloned: ")
    if started:
        return redirect(reverse("job-list"))
    return redirect(reverse("domain-clone", args=[domain.uuid]) + "?" + urlencode({"name": name}))
