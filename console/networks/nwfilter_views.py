"""Network filter pages of a host: the list, one filter's XML, and defining a new filter from XML."""

from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from console.page_actions import tell
from domains.access import permissions
from domains.access.lookups import client_address
from domains.errors import ConsoleError
from domains.networks.lookups import visible_host
from domains.networks.nwfilters import do_define_nwfilter, nwfilter_detail, nwfilter_list

# What the define form starts with: a filter that only includes libvirt's own clean-traffic, to edit from.
STARTER = """<filter name='my-filter' chain='root'>
  <filterref filter='clean-traffic'/>
</filter>"""


@permissions.route_permission("nwfilter.getattr", note="on the host")
@require_GET
def nwfilter_index(request, host_id):
    host = visible_host(request.user, host_id, "nwfilter.getattr")
    filters, problem = [], None
    try:
        filters = nwfilter_list(host)
    except ConsoleError as exc:  # a host whose libvirt has no nwfilter driver (test, embedded), an unreachable one
        problem = exc.message
    return render(request, "networks/nwfilters.html", {
        "host": host, "filters": filters, "problem": problem,
        "may_read": permissions.has_perm(request.user, "nwfilter.read", host),
        "may_define": all(permissions.has_perm(request.user, name, host)
                          for name in ("nwfilter.write", "nwfilter.save"))})


@permissions.route_permission("nwfilter.read", note="on the host")
@require_GET
def nwfilter_page(request, host_id, name):
    host = visible_host(request.user, host_id, "nwfilter.read")
    try:
        facts, problem, status = nwfilter_detail(host, name), None, 200
    except ConsoleError as exc:  # no such filter (404), no nwfilter driver (409): the page says which
        facts, problem, status = {"name": name}, exc.message, exc.status
    return render(request, "networks/nwfilter.html", {"host": host, "nwfilter": facts, "problem": problem},
                  status=status)


@permissions.route_permission("nwfilter.write", note="on the host, with nwfilter.save")
@require_http_methods(["GET", "POST"])
def nwfilter_create(request, host_id):
    host = visible_host(request.user, host_id, "nwfilter.write")
    xml, problem = STARTER, None
    if request.method == "POST":
        xml = request.POST.get("xml", "")
        try:
            made = do_define_nwfilter(request.user, host, xml, source_address=client_address(request))
        except ConsoleError as exc:
            problem = exc.message
        else:
            tell(request, _("Network filter '%(name)s' defined.") % {"name": made["name"]})
            return redirect("nwfilter-detail", host.pk, made["name"])
    return render(request, "networks/nwfilter_create.html", {"host": host, "xml": xml, "problem": problem},
                  status=400 if problem else 200)  # a refused form comes back with what the user typed
