"""The Templates page: everyone lists the templates and creates a domain from one on a host where she may;
administrators also make and delete them."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from console.page_actions import perform
from domains.access import permissions
from domains.access.lookups import client_address, visible
from domains.access.permission_names import AUTHENTICATED
from domains.access.permissions import route_permission
from domains.domain_templates.actions import (
    PERMISSION,
    do_create_template,
    do_delete_template,
)
from domains.domain_templates.models import Template
from domains.hosts.models import Host
from domains.install.sources import do_install_domain
from domains.quotas.limits import usage_rows


def _template(template_id):
    template = Template.objects.filter(pk=template_id).first()
    if template is None:
        raise Http404("No such template.")
    return template


@route_permission(AUTHENTICATED, note="creating from a template lists the hosts where the user holds define_domains")
@require_http_methods(["GET"])
def templates_page(request):
    hosts = [host for host in Host.objects.order_by("name") if permissions.has_perm(request.user, "define_domains", host)]
    return render(request, "domain_templates/list.html", {
        "templates": Template.objects.all(), "hosts": hosts, "quota": usage_rows(request.user),
        "may_manage": permissions.has_perm(request.user, PERMISSION)})


def _fields(post):
    """A template's fields from the add form."""
    def number(name):
        value = post.get(name, "").strip()
        return int(value) if value.isascii() and value.isdigit() else None

    install = {"kind": post.get("kind", "")}
    if post.get("volume", "").strip():
        install["volume"] = post["volume"].strip()
    if install["kind"] == "cloud-image":
        install["mode"] = post.get("mode") or "clone"
    return {"name": post.get("name", "").strip(), "description": post.get("description", "").strip(),
            "os": post.get("os", "").strip(), "vcpus": number("vcpus"), "memory_mib": number("memory_mib"),
            "disk_size_gib": number("disk_size_gib"), "disk_pool": post.get("disk_pool", "").strip(),
            "install": install, "networks": [name.strip() for name in post.get("networks", "").split(",")
                                             if name.strip()]}


@route_permission(PERMISSION, note="everywhere (a global grant)")
@require_POST
def template_add(request):
    permissions.require(request.user, PERMISSION)
    perform(request, lambda: do_create_template(request.user, _fields(request.POST), client_address(request)),
            lambda template: _("Template '%(name)s' made.") % {"name": template.name}, failed=_("No template made: "))
    return redirect("templates")


@route_permission(PERMISSION, note="everywhere (a global grant)")
@require_POST
def template_delete(request, template_id):
    permissions.require(request.user, PERMISSION)
    template = _template(template_id)
    perform(request, lambda: do_delete_template(request.user, template, client_address(request)),
            _("Template '%(name)s' deleted; the domains made from it stay.") % {"name": template.name})
    return redirect("templates")


@route_permission("define_domains", note="on the host the form names")
@require_POST
def template_use(request, template_id):
    """Create a domain from the template on the chosen host, as POST /hosts/{id}/domains with template does."""
    chosen = request.POST.get("host", "")
    host = visible(request.user, Host, int(chosen) if chosen.isascii() and chosen.isdigit() else 0, "define_domains")
    template = _template(template_id)
    body = template.create_body({"name": request.POST.get("name", "").strip(),
                                 "start": request.POST.get("start") == "on"})
    outcome = {}

    def create():
        outcome["result"], outcome["job"] = do_install_domain(request.user, host, body, client_address(request))
        return outcome

    def done(_outcome):
        if outcome["job"] is not None:
            return _("Copying the image for '%(name)s': the domain appears when the job ends.") % {"name": body["name"]}
        return _("Domain '%(name)s' created from template '%(template)s'.") % {"name": body["name"],
                                                                               "template": template.name}

    made = perform(request, create, done, failed=_("Nothing was created: "))
    if made and outcome["job"] is not None:
        return redirect("job-list")
    if made:
        return redirect("domain-detail", uuid=outcome["result"]["uuid"])
    return redirect("templates")
