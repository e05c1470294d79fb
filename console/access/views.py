"""Pages for grants (a domain's, a host's, a pool's, a network's, everything's), roles, the audit log and one's own
account (password and API token). People and groups: people_views.py."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.models import Group
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from rest_framework.authtoken.models import Token

from console.access.audit_filters import (
    ACTION_SUGGESTIONS,
    OUTCOME_CHOICES,
    OUTCOMES,
    AuditFilters,
    action_words,
    outcome_words,
)
from console.networks.lookups import network_for_page
from console.page_actions import Unchanged, tell
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
from domains.access.users import is_account_administrator
from domains.errors import ConsoleError
from domains.hosts.models import Host
from domains.lifecycle.models import Domain

AUDIT_PAGE_SIZE = 100
# Where a GrantError's field is on the grant form (templates/access/grant_form.html).
GRANT_FORM_FIELDS = {"role": "role", "user": "holder", "group": "holder", "host": "scope", "scope": "scope"}


def grant_form_context(request, holder=None, scopes=None, roles=None):
    """What templates/access/grant_form.html needs: the roles, the holders (or holder, fixed: "user:<name>" or
    "group:<name>") and, on a person's or group's page, the scopes to choose from."""
    context = {"roles": roles if roles is not None else Role.objects.all(), "fixed_holder": holder,
               "scopes": scopes, "chosen": {}, "errors": {}}
    if holder is None:
        context["users"] = get_user_model().objects.order_by("username")
        context["groups"] = Group.objects.order_by("name")
    return context


def _on_everything():
    """The grants on everything: no domain, host, pool or network (a grant on one of those is not global)."""
    return Grant.objects.filter(domain=None, host=None, pool=None, network=None)


def grant_from_form(request, **scope):
    """Give the grant the posted form asks for on scope (domain=, host=, pool=, network= or nothing: everything).

    Returns (None, form) after a success (its message left for the next page), or (the status to answer, form)
    with what was chosen and the error on its field, so the page shows the form again as it was.
    """
    holder = request.POST.get("holder", "")
    kind, _sep, name = holder.partition(":")
    chosen = {"role": request.POST.get("role", ""), "holder": holder, "scope": request.POST.get("scope", "")}
    try:
        to_user, to_group = find_holder(name if kind == "user" else None, name if kind == "group" else None)
        made, created = do_grant(request.user, chosen["role"], to_user=to_user, to_group=to_group,
                                 source_address=client_address(request), **scope)
    except ConsoleError as exc:
        field = GRANT_FORM_FIELDS.get(getattr(exc, "field", None) or "role", "role")
        return 400, {"chosen": chosen, "errors": {field: exc.message}}
    tell(request, _("Granted %(grant)s.") % {"grant": made} if created
         else Unchanged(_("%(grant)s existed already.") % {"grant": made}))
    return None, {}


def _scope_page(request, context, done, **scope):
    """A scope's Access page: GET shows it; POST grants on scope and goes to done, or shows the refused form."""
    status, form = 200, {}
    if request.method == "POST":
        status, form = grant_from_form(request, **scope)
        if status is None:
            return done
    context.update(form)
    return render(request, "access/scope.html", context, status=status)


@route_permission("manage_grants", note="on the domain")
@require_http_methods(["GET", "POST"])
def domain_access(request, uuid):
    domain = visible(request.user, Domain, uuid, "manage_grants")
    inherited = Grant.objects.filter(host=domain.host_id) | _on_everything()
    return _scope_page(request, {
        "grants": Grant.objects.filter(domain=domain).select_related("role", "user", "group"),
        "inherited": inherited.select_related("role", "user", "group", "host"),
        "scope_label": _("domain %(name)s") % {"name": domain.name}, "domain": domain,
        **grant_form_context(request),
    }, redirect("domain-access", uuid=domain.uuid), domain=domain)


@route_permission("manage_grants", note="on the host")
@require_http_methods(["GET", "POST"])
def host_access(request, host_id):
    host = visible(request.user, Host, host_id, "manage_grants")
    return _scope_page(request, {
        "grants": Grant.objects.filter(host=host).select_related("role", "user", "group"),
        "inherited": _on_everything().select_related("role", "user", "group"),
        "scope_label": _("every domain of host %(name)s") % {"name": host.name}, "host": host,
        **grant_form_context(request),
    }, redirect("host-access", host_id=host.pk), host=host)


@route_permission("manage_grants", note="on the pool")
@require_http_methods(["GET", "POST"])
def pool_access(request, host_id, name):
    pool, _page = pool_for_page(request, host_id, name, "manage_grants")
    inherited = Grant.objects.filter(host=pool.host_id) | _on_everything()
    return _scope_page(request, {
        "grants": Grant.objects.filter(pool=pool).select_related("role", "user", "group"),
        "inherited": inherited.select_related("role", "user", "group", "host"),
        "scope_label": _("pool %(name)s on %(host)s") % {"name": pool.name, "host": pool.host.name}, "pool": pool,
        **grant_form_context(request),
    }, redirect("pool-access", host_id=pool.host_id, name=pool.name), pool=pool)


@route_permission("manage_grants", note="on the network's host")
@require_http_methods(["GET", "POST"])
def network_access(request, host_id, name):
    network, _page = network_for_page(request, host_id, name, "manage_grants")
    inherited = Grant.objects.filter(host=network.host_id) | _on_everything()
    # Only the roles that give something on one network (do_grant refuses the others, saying so).
    roles = [role for role in Role.objects.all() if set(role.permissions) & (PER_NETWORK | {"manage_grants"})]
    return _scope_page(request, {
        "grants": Grant.objects.filter(network=network).select_related("role", "user", "group"),
        "inherited": inherited.select_related("role", "user", "group", "host"),
        "scope_label": _("network %(name)s on %(host)s") % {"name": network.name, "host": network.host.name},
        "network": network, **grant_form_context(request, roles=roles),
    }, redirect("network-access", host_id=network.host_id, name=network.name), network=network)


@route_permission("manage_grants", note="everywhere")
@require_http_methods(["GET", "POST"])
def access_index(request):
    """Grants on everything, and the people, groups and hosts to look at one by one."""
    permissions.require(request.user, "manage_grants")
    status, form = 200, {}
    if request.method == "POST":
        status, form = grant_from_form(request)
        if status is None:
            return redirect("access-index")
    users = get_user_model().objects
    return render(request, "access/index.html", {
        "grants": _on_everything().select_related("role", "user", "group"), "hosts": Host.objects.all(),
        "user_count": users.count(), "inactive_count": users.filter(is_active=False).count(),
        "group_count": Group.objects.count(), "may_manage_accounts": is_account_administrator(request.user),
        **grant_form_context(request), **form,
    }, status=status)


@route_permission("manage_grants", note="on the grant's scope")
@require_POST
def grant_revoke(request, grant_id):
    grant = visible_grants(request.user).filter(pk=grant_id).first()
    if grant is None:
        raise Http404(_("No such grant."))
    label = str(grant)
    do_revoke(request.user, grant, source_address=client_address(request))
    messages.success(request, _("Revoked %(grant)s.") % {"grant": label})
    return redirect_back(request, "access-index")


@route_permission(GET=AUTHENTICATED, POST="manage_grants", note="POST defines a role: manage_grants everywhere")
@require_http_methods(["GET", "POST"])
def role_list(request):
    status, form = 200, {"chosen": {}, "errors": {}}
    if request.method == "POST":
        chosen = {"name": request.POST.get("name", ""), "description": request.POST.get("description", ""),
                  "permissions": request.POST.getlist("permissions")}
        try:
            role = do_define_role(request.user, chosen["name"], chosen["permissions"], chosen["description"],
                                  source_address=client_address(request))
        except ConsoleError as exc:
            status, form = 400, {"chosen": chosen, "errors": {getattr(exc, "field", None) or "name": exc.message}}
        else:
            tell(request, _("Role '%(name)s' defined.") % {"name": role.name})
            return redirect("role-list")
    return render(request, "access/roles.html", {
        "roles": Role.objects.all(), "permissions": PERMISSIONS,
        "may_define": permissions.has_perm(request.user, "manage_grants"), **form,
    }, status=status)


def _outcome_choices(typed):
    """The outcome filter's choices, with the one typed (a link may name any start of an outcome) kept."""
    choices = [(value, OUTCOMES[value][0]) for value in OUTCOME_CHOICES]
    return choices if not typed or typed in OUTCOME_CHOICES else [*choices, (typed, typed)]


def _audit_page(request, rows, domain=None):
    filters = AuditFilters(request.user, request.GET, domain=domain)
    suggestions = {"actors": filters.actor_names()}
    rows = filters.apply(rows)
    page = Paginator(rows.order_by("-id"), AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    for entry in page:
        entry.action_words = action_words(entry.action)
        entry.outcome_words, entry.outcome_detail, entry.outcome_colour = outcome_words(entry.outcome)
    query = request.GET.copy()
    query.pop("page", None)
    if domain is None:
        suggestions.update(domains=filters.domain_names(), hosts=filters.host_names())
    return render(request, "access/audit.html", {
        "page": page, "domain": domain, "filters": filters.values, "filtered": filters.any,
        "errors": filters.errors, "query": query.urlencode(), "suggestions": suggestions,
        "outcome_choices": _outcome_choices(filters.values["outcome"]),
        "action_suggestions": ACTION_SUGGESTIONS,
    }, status=400 if filters.errors else 200)


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


def _change_password(request):
    """The password form of the account page: (status, form); on success the session stays signed in."""
    form = PasswordChangeForm(request.user, request.POST)
    if not form.is_valid():
        # The form shows its refusals in the reader's language; the audit keeps them in the console's own, so the
        # form is checked again in it (Django's password validators say their words at once, not lazily).
        with translation.override(settings.LANGUAGE_CODE):
            refusals = " ".join(m for errors in PasswordChangeForm(request.user, request.POST).errors.values()
                                for m in errors)
        audit.record(request.user, "password.change", request.user, {}, outcome=f"refused: {refusals}",
                     source_address=client_address(request))
        return 400, form
    form.save()
    update_session_auth_hash(request, form.user)  # the other sessions of the account end, this one stays
    audit.record(request.user, "password.change", request.user, {}, source_address=client_address(request))
    messages.success(request, _("Your password is changed."))
    return None, form


@route_permission(AUTHENTICATED, note="one's own grants, password and API token")
@require_http_methods(["GET", "POST"])
def account(request):
    new_token, status, password_form = None, 200, PasswordChangeForm(request.user)
    if request.method == "POST":
        if request.POST.get("token") == "create":
            Token.objects.filter(user=request.user).delete()
            new_token = Token.objects.create(user=request.user)
            audit.record(request.user, "token.create", source_address=client_address(request))
        elif request.POST.get("token") == "revoke":
            removed, _count = Token.objects.filter(user=request.user).delete()
            audit.record(request.user, "token.revoke", outcome="ok" if removed else "no token",
                         source_address=client_address(request))
            messages.success(request, _("API token revoked.") if removed else _("You had no API token."))
        elif "old_password" in request.POST:
            status, password_form = _change_password(request)
            if status is None:
                return redirect("account")
        if new_token is None and status == 200:
            return redirect("account")
    own = Grant.objects.filter(user=request.user).select_related("role", "domain__host", "host")
    through_groups = Grant.objects.filter(group__user=request.user).select_related("role", "group", "domain__host",
                                                                                    "host")
    token = Token.objects.filter(user=request.user).first()
    # A new token is shown once, in the answer to the POST that made it: never in the messages
    # cookie (readable by whatever reads the browser's cookies) and never stored to be shown again.
    page = render(request, "access/account.html", {"own": own, "through_groups": through_groups,
                                                   "token_created": token.created if token else None,
                                                   "new_token": new_token.key if new_token else None,
                                                   "password_form": password_form}, status=status)
    if new_token is not None:
        page["Cache-Control"] = "no-store"
    return page
