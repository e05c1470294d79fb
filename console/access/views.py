"""Pages for grants (a domain's, a host's, a user's Access), roles, the audit log and one's own account and token."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from rest_framework.authtoken.models import Token

from console.networks.lookups import network_for_page
from console.page_actions import perform
from console.redirects import redirect_back
from console.storage.lookups import pool_for_page
from domains.access import audit, permissions
from domains.access.grants import (
    do_define_role,
    do_grant,
    do_revoke,
    find_holder,
    visible_grants,
)
from domains.access.lookups import client_address, visible
from domains.access.models import Grant, Role
from domains.access.permission_names import AUTHENTICATED, PER_NETWORK, PERMISSIONS
from domains.access.permissions import route_permission
from domains.errors import ConsoleError
from domains.hosts.models import Host
from domains.lifecycle.models import Domain

AUDIT_PAGE_SIZE = 100


def _grant_form_context(request):
    return {"roles": Role.objects.all(), "users": get_user_model().objects.order_by("username"),
            "groups": Group.objects.order_by("name")}


def _grant_from_form(request, domain=None, host=None, pool=None, network=None):
    """Apply the add-grant form; a refusal or a bad form becomes a message on the page."""
    holder = request.POST.get("holder", "")
    kind, _, name = holder.partition(":")

    def grant():
        to_user, to_group = find_holder(name if kind == "user" else None, name if kind == "group" else None)
        return do_grant(request.user, request.POST.get("role"), to_user=to_user, to_group=to_group,
                        domain=domain, host=host, pool=pool, network=network,
                        source_address=client_address(request))

    perform(request, grant, lambda made: f"Granted {made[0]}." if made[1] else f"{made[0]} existed already.")


@route_permission("manage_grants", note="on the domain")
@require_http_methods(["GET", "POST"])
def domain_access(request, uuid):
    domain = visible(request.user, Domain, uuid, "manage_grants")
    if request.method == "POST":
        _grant_from_form(request, domain=domain)
        return redirect("domain-access", uuid=domain.uuid)
    grants = Grant.objects.filter(domain=domain).select_related("role", "user", "group")
    inherited = Grant.objects.filter(host=domain.host_id) | Grant.objects.filter(domain=None, host=None)
    return render(request, "access/scope.html", {
        "grants": grants, "inherited": inherited.select_related("role", "user", "group", "host"),
        "scope_label": f"domain {domain.name}", "domain": domain, **_grant_form_context(request),
    })


@route_permission("manage_grants", note="on the host")
@require_http_methods(["GET", "POST"])
def host_access(request, host_id):
    host = visible(request.user, Host, host_id, "manage_grants")
    if request.method == "POST":
        _grant_from_form(request, host=host)
        return redirect("host-access", host_id=host.pk)
    grants = Grant.objects.filter(host=host).select_related("role", "user", "group")
    inherited = Grant.objects.filter(domain=None, host=None).select_related("role", "user", "group")
    return render(request, "access/scope.html", {
        "grants": grants, "inherited": inherited, "scope_label": f"every domain of host {host.name}", "host": host,
        **_grant_form_context(request),
    })


@route_permission("manage_grants", note="on the pool")
@require_http_methods(["GET", "POST"])
def pool_access(request, host_id, name):
    pool, _ = pool_for_page(request, host_id, name, "manage_grants")
    if request.method == "POST":
        _grant_from_form(request, pool=pool)
        return redirect("pool-access", host_id=pool.host_id, name=pool.name)
    grants = Grant.objects.filter(pool=pool).select_related("role", "user", "group")
    inherited = Grant.objects.filter(host=pool.host_id) | Grant.objects.filter(domain=None, host=None, pool=None)
    return render(request, "access/scope.html", {
        "grants": grants, "inherited": inherited.select_related("role", "user", "group", "host"),
        "scope_label": f"pool {pool.name} on {pool.host.name}", "pool": pool, **_grant_form_context(request),
    })


@route_permission("manage_grants", note="on the network's host")
@require_http_methods(["GET", "POST"])
def network_access(request, host_id, name):
    network, _ = network_for_page(request, host_id, name, "manage_grants")
    if request.method == "POST":
        _grant_from_form(request, network=network)
        return redirect("network-access", host_id=network.host_id, name=network.name)
    grants = Grant.objects.filter(network=network).select_related("role", "user", "group")
    inherited = Grant.objects.filter(host=network.host_id) | Grant.objects.filter(
        domain=None, host=None, pool=None, network=None)
    # Only the roles that give something on one network (do_grant refuses the others, saying so).
    roles = [role for role in Role.objects.all() if set(role.permissions) & (PER_NETWORK | {"manage_grants"})]
    return render(request, "access/scope.html", {
        "grants": grants, "inherited": inherited.select_related("role", "user", "group", "host"),
        "scope_label": f"network {network.name} on {network.host.name}", "network": network,
        **_grant_form_context(request), "roles": roles,
    })


@route_permission("manage_grants", note="everywhere")
@require_http_methods(["GET", "POST"])
def access_index(request):
    """Grants on everything, and the people and groups to look at one by one."""
    permissions.require(request.user, "manage_grants")
    if request.method == "POST":
        _grant_from_form(request)
        return redirect("access-index")
    grants = Grant.objects.filter(domain=None, host=None).select_related("role", "user", "group")
    return render(request, "access/index.html", {"grants": grants, "hosts": Host.objects.all(),
                                                 **_grant_form_context(request)})


@route_permission("manage_grants", note="everywhere: a person's grants span every scope")
@require_GET
def user_access(request, user_id):
    permissions.require(request.user, "manage_grants")
    person = get_object_or_404(get_user_model(), pk=user_id)
    own = Grant.objects.filter(user=person).select_related("role", "domain__host", "host")
    through_groups = Grant.objects.filter(group__user=person).select_related("role", "group", "domain__host", "host")
    return render(request, "access/user.html", {"person": person, "own": own, "through_groups": through_groups})


@route_permission("manage_grants", note="on the grant's scope")
@require_POST
def grant_revoke(request, grant_id):
    grant = visible_grants(request.user).filter(pk=grant_id).first()
    if grant is None:
        raise Http404("No such grant.")
    label = str(grant)
    do_revoke(request.user, grant, source_address=client_address(request))
    messages.success(request, f"Revoked {label}.")
    return redirect_back(request, "access-index")


@route_permission(GET=AUTHENTICATED, POST="manage_grants", note="POST defines a role: manage_grants everywhere")
@require_http_methods(["GET", "POST"])
def role_list(request):
    if request.method == "POST":
        perform(request, lambda: do_define_role(request.user, request.POST.get("name"),
                                                request.POST.getlist("permissions"),
                                                request.POST.get("description", ""),
                                                source_address=client_address(request)),
                lambda role: f"Role '{role.name}' defined.")
        return redirect("role-list")
    return render(request, "access/roles.html", {
        "roles": Role.objects.all(), "permissions": PERMISSIONS,
        "may_define": permissions.has_perm(request.user, "manage_grants"),
    })


def _audit_page(request, rows, domain=None):
    try:
        rows = audit.filter_entries(rows, request.GET)
    except ConsoleError as exc:
        messages.error(request, exc.message)
        rows = rows.none()
    page = Paginator(rows.order_by("-id"), AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "access/audit.html", {"page": page, "domain": domain, "filters": request.GET,
                                          "query": query.urlencode()})


@route_permission(AUTHENTICATED, note="shows entries about what the user may read, and their own")
@require_GET
def audit_log(request):
    return _audit_page(request, audit.visible_entries(request.user))


@route_permission("read", note="on the domain")
@require_GET
def domain_audit(request, uuid):
    domain = visible(request.user, Domain, uuid, "read")
    rows = audit.visible_entries(request.user).filter(target_type="domain", target_id=str(domain.pk))
    return _audit_page(request, rows, domain=domain)


@route_permission(AUTHENTICATED, note="one's own grants and API token")
@require_http_methods(["GET", "POST"])
def account(request):
    new_token = None
    if request.method == "POST":
        if request.POST.get("token") == "create":
            Token.objects.filter(user=request.user).delete()
            new_token = Token.objects.create(user=request.user)
            audit.record(request.user, "token.create", source_address=client_address(request))
        elif request.POST.get("token") == "revoke":
            removed, _ = Token.objects.filter(user=request.user).delete()
            audit.record(request.user, "token.revoke", outcome="ok" if removed else "no token",
                         source_address=client_address(request))
            messages.success(request, "API token revoked." if removed else "You had no API token.")
        if new_token is None:
            return redirect("account")
    own = Grant.objects.filter(user=request.user).select_related("role", "domain__host", "host")
    through_groups = Grant.objects.filter(group__user=request.user).select_related("role", "group", "domain__host",
                                                                                    "host")
    token = Token.objects.filter(user=request.user).first()
    # A new token is shown once, in the answer to the POST that made it: never in the messages
    # cookie (readable by whatever reads the browser's cookies) and never stored to be shown again.
    page = render(request, "access/account.html", {"own": own, "through_groups": through_groups,
                                                   "token_created": token.created if token else None,
                                                   "new_token": new_token.key if new_token else None})
    if new_token is not None:
        page["Cache-Control"] = "no-store"
    return page
