"""The install page: pick a host, then one form for the install source, OS, sizes, firmware, disk, network and
cloud-init; it posts to the one create action."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from domains.access import permissions
from domains.access.lookups import client_address
from domains.access.permission_names import AUTHENTICATED
from domains.access.permissions import route_permission
from domains.errors import ConsoleError
from domains.hosts.models import Host
from domains.install.offer import install_offer
from domains.install.sources import do_install_domain
from domains.libvirt.adapter import VirtError
from domains.quotas.limits import usage_rows


def _number(post, name):
    value = post.get(name, "").strip()
    return int(value) if value.isdigit() else None


def request_body(post):
    """The create request the form says, in the API's shape."""
    kind = post.get("kind", "")
    install = {"kind": kind}
    if kind == "iso":
        install["volume"] = post.get("medium", "")
    elif kind in ("cloud-image", "import"):
        install["volume"] = post.get("image", "")
        if kind == "cloud-image":
            install["mode"] = post.get("mode") or "clone"
    body = {"name": post.get("name", "").strip(), "install": install, "start": post.get("start") == "on",
            "firmware": post.get("firmware") or "bios"}
    if post.get("os", "").strip():
        body["os"] = post["os"].strip()
    for name in ("vcpus", "memory_mib"):
        if _number(post, name):
            body[name] = _number(post, name)
    if post.get("disk_pool") and kind != "import":
        body["disks"] = [{"pool": post["disk_pool"], "size_gib": _number(post, "disk_gib") or 10}]
    if post.get("network"):
        body["interfaces"] = [{"network": post["network"]}]
    if post.get("cloud_init") == "on":
        body["cloud_init"] = {"user": post.get("ci_user", "").strip(), "password": post.get("ci_password", ""),
                              "ssh_keys": [key for key in post.get("ci_ssh_keys", "").splitlines() if key.strip()],
                              "hostname": post.get("ci_hostname", "").strip(), "user_data": post.get("ci_user_data", "")}
    return body


# The request's fields a refusal may name, and the form field that holds each.
FORM_FIELDS = {"name": "name", "os": "os", "vcpus": "vcpus", "memory_mib": "memory_mib", "firmware": "firmware",
               "disks": "disk_pool", "interfaces": "network", "cloud_init": "ci_user", "install": "kind"}


def form_errors(exc):
    """{form field: the refusal's words} for the fields a refusal names, so the form marks them and focuses the first."""
    named = exc.fields if isinstance(exc.fields, dict) else {}
    return {FORM_FIELDS[key]: exc.message for key in FORM_FIELDS if key in named}


@require_http_methods(["GET", "POST"])
@route_permission(AUTHENTICATED, note="lists the hosts where the user holds define_domains; creating needs it")
def install_page(request):
    hosts = [host for host in Host.objects.order_by("name") if permissions.has_perm(request.user, "define_domains", host)]
    chosen = request.POST.get("host") or request.GET.get("host")
    host = next((h for h in hosts if str(h.pk) == chosen), hosts[0] if len(hosts) == 1 else None)
    status, values, errors = 200, request.POST, {}
    if request.method == "POST" and host is not None:
        try:
            result, job = do_install_domain(request.user, host, request_body(request.POST), client_address(request))
        except ConsoleError as exc:
            messages.error(request, gettext("Nothing was created: %(why)s") % {"why": exc.message})
            status, errors = 400, form_errors(exc)
        else:
            if job is not None:
                messages.success(request, gettext("Copying the image for '%(name)s': the domain appears when the job "
                                                  "ends.") % {"name": job.target_label})
                return redirect("job-list")
            created = (gettext("Domain '%(name)s' created and started.") if result["started"]
                       else gettext("Domain '%(name)s' created."))
            messages.success(request, created % {"name": result["name"]})
            return redirect("domain-detail", uuid=result["uuid"])
    offer, error = None, ""
    if host is not None:
        try:
            offer = install_offer(request.user, host)
        except VirtError as exc:
            error = exc.message
    return render(request, "install/create.html", {"hosts": hosts, "host": host, "offer": offer, "error": error,
                                                   "values": values, "quota": usage_rows(request.user),
                                                   "errors": errors, "first_error": next(iter(errors), None)},
                  status=status)
