"""Pages for people and groups: the Users and Groups lists, one person's or group's page with their grants, and the
account changes only the console's administrator makes (create, deactivate, set a password, groups and members)."""

import uuid as uuid_module

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from console.access.views import grant_form_context, grant_from_form
from domains.access import permissions
from domains.access.grants import GrantError
from domains.access.groups import (
    do_add_member,
    do_create_group,
    do_delete_group,
    do_remove_member,
    do_rename_group,
)
from domains.access.lookups import client_address
from domains.access.models import Grant
from domains.access.permissions import route_permission
from domains.access.users import (
    do_create_user,
    do_set_active,
    do_set_password,
    is_account_administrator,
)
from domains.errors import ConsoleError
from domains.hosts.models import Host
from domains.lifecycle.models import Domain

USERS_PAGE_SIZE = 50
STATES = {"active": Q(is_active=True), "inactive": Q(is_active=False), "all": Q()}
ADMINISTRATORS_ONLY = "everywhere; the change itself: superusers only (domains/access/users.py)"


def _require_account_administrator(request):
    """403 unless the user may manage accounts: the page's own refusal (the action refuses again, audited)."""
    if not is_account_administrator(request.user):
        refusal = permissions.PermissionDenied("superuser")
        refusal.args = (_("Only the console's administrator (a superuser) may manage users and groups. "
                          "Ask an administrator to make the change."),)
        raise refusal


def _field_error(exc):
    return {getattr(exc, "field", None) or "non_field": exc.message}


def _grant_scopes():
    """The scopes a person's or group's page grants on: everything, each host, each domain (pools and networks are
    granted on their own Access pages)."""
    hosts = [(f"host:{h.pk}", _("every domain of host %(name)s") % {"name": h.name}) for h in Host.objects.all()]
    domains = [(f"domain:{d.uuid}", _("domain %(name)s on %(host)s") % {"name": d.name, "host": d.host.name})
               for d in Domain.objects.filter(gone=False).select_related("host").order_by("name", "host__name")]
    return [("everything", _("everything")), *hosts, *domains]


def _scope_from_form(request):
    """The scope keyword do_grant takes, from the form's scope choice; a GrantError on the scope field if none."""
    kind, _sep, key = request.POST.get("scope", "").partition(":")
    if kind == "everything":
        return {}
    if kind == "host" and key.isascii() and key.isdigit() and int(key) < 2**63:
        found = Host.objects.filter(pk=int(key)).first()
        if found is not None:
            return {"host": found}
    if kind == "domain":
        try:
            found = Domain.objects.filter(uuid=uuid_module.UUID(key), gone=False).first()
        except ValueError:  # a malformed UUID names no domain, like an unknown one
            found = None
        if found is not None:
            return {"domain": found}
    raise GrantError(_("Choose where the grant applies: everything, a host or a domain."), field="scope")


def _holder_page(request, template, context, holder, done):
    """A person's or group's page: POST gives a grant to holder on the scope chosen, then goes to done."""
    status, form = 200, {}
    if request.method == "POST":
        permissions.require(request.user, "manage_grants")
        try:
            scope = _scope_from_form(request)
        except ConsoleError as exc:
            status, form = 400, {"chosen": dict(request.POST.items()), "errors": {"scope": exc.message}}
        else:
            status, form = grant_from_form(request, **scope)
            if status is None:
                return done
    context.update(grant_form_context(request, holder=holder, scopes=_grant_scopes()))
    context.update(form)
    context["may_manage_accounts"] = is_account_administrator(request.user)
    return render(request, template, context, status=status)


# --- people ---

@route_permission("manage_grants", note="everywhere: who has an account and what each holds")
@require_http_methods(["GET"])
def user_list(request):
    permissions.require(request.user, "manage_grants")
    search = request.GET.get("q", "").strip()
    state = request.GET.get("state", "all") if request.GET.get("state") in STATES else "all"
    rows = get_user_model().objects.filter(STATES[state]).prefetch_related(
        Prefetch("groups", queryset=Group.objects.order_by("name"))).order_by("username")
    if search:
        rows = rows.filter(Q(username__icontains=search) | Q(email__icontains=search)
                           | Q(first_name__icontains=search) | Q(last_name__icontains=search)
                           | Q(groups__name__icontains=search)).distinct()
    page = Paginator(rows, USERS_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "access/users.html", {
        "page": page, "search": search, "state": state, "query": query.urlencode(),
        "may_manage_accounts": is_account_administrator(request.user),
    })


@route_permission("manage_grants", note=ADMINISTRATORS_ONLY)
@require_http_methods(["GET", "POST"])
def user_create(request):
    permissions.require(request.user, "manage_grants")
    _require_account_administrator(request)
    typed, errors = {}, {}
    if request.method == "POST":
        typed = {"username": request.POST.get("username", ""), "email": request.POST.get("email", ""),
                 "is_superuser": request.POST.get("is_superuser") == "on"}
        password, again = request.POST.get("password", ""), request.POST.get("password_again", "")
        if not password:
            errors["password"] = _("Enter a password for the new user.")
        elif password != again:
            errors["password_again"] = _("The two passwords differ: type the same one twice.")
        else:
            try:
                made = do_create_user(request.user, typed["username"], password, typed["email"],
                                      is_superuser=typed["is_superuser"], source_address=client_address(request))
            except ConsoleError as exc:
                errors = _field_error(exc)
            else:
                messages.success(request, _("User %(name)s created.") % {"name": made.username})
                return redirect("user-access", user_id=made.pk)
    return render(request, "access/user_create.html", {"typed": typed, "errors": errors},
                  status=400 if errors else 200)


@route_permission("manage_grants", note="everywhere: a person's grants span every scope")
@require_http_methods(["GET", "POST"])
def user_access(request, user_id):
    """One person: their account, groups and grants (their own and through groups); POST gives them a grant."""
    permissions.require(request.user, "manage_grants")
    person = get_object_or_404(get_user_model(), pk=user_id)
    return _holder_page(request, "access/user.html", _user_context(person), f"user:{person.username}",
                        redirect("user-access", user_id=person.pk))


def _user_context(person, password_errors=None):
    related = ("role", "domain__host", "pool__host", "network__host", "host")
    return {
        "person": person, "person_groups": person.groups.order_by("name"),
        "own": Grant.objects.filter(user=person).select_related(*related),
        "through_groups": Grant.objects.filter(group__user=person).select_related("group", *related),
        "password_errors": password_errors or {},
    }


@route_permission("manage_grants", note=ADMINISTRATORS_ONLY)
@require_POST
def user_active(request, user_id):
    permissions.require(request.user, "manage_grants")
    person = get_object_or_404(get_user_model(), pk=user_id)
    active = request.POST.get("active") == "1"
    try:
        do_set_active(request.user, person, active, source_address=client_address(request))
    except ConsoleError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, (_("%(name)s is active again: they can sign in.") if active else
                                   _("%(name)s is deactivated: their sessions and consoles are closed."))
                         % {"name": person.username})
    return redirect("user-access", user_id=person.pk)


@route_permission("manage_grants", note=ADMINISTRATORS_ONLY)
@require_POST
def user_password(request, user_id):
    """The administrator sets a new password for a person; a refused one shows the page again, the field marked."""
    permissions.require(request.user, "manage_grants")
    person = get_object_or_404(get_user_model(), pk=user_id)
    password, again = request.POST.get("password", ""), request.POST.get("password_again", "")
    errors = {}
    if password and password != again:
        errors["password_again"] = _("The two passwords differ: type the same one twice.")
    else:
        try:
            do_set_password(request.user, person, password, source_address=client_address(request))
        except ConsoleError as exc:
            errors = _field_error(exc)
    if not errors:
        messages.success(request, _("%(name)s has a new password; their open sessions are ended.")
                         % {"name": person.username})
        return redirect("user-access", user_id=person.pk)
    context = _user_context(person, password_errors=errors)
    context.update(grant_form_context(request, holder=f"user:{person.username}", scopes=_grant_scopes()))
    context["may_manage_accounts"] = is_account_administrator(request.user)
    return render(request, "access/user.html", context, status=400)


# --- groups ---

@route_permission("manage_grants", note="everywhere; POST makes a group: superusers only (domains/access/groups.py)")
@require_http_methods(["GET", "POST"])
def group_list(request):
    permissions.require(request.user, "manage_grants")
    typed, errors = "", {}
    if request.method == "POST":
        _require_account_administrator(request)
        typed = request.POST.get("name", "")
        try:
            made = do_create_group(request.user, typed, source_address=client_address(request))
        except ConsoleError as exc:
            errors = _field_error(exc)
        else:
            messages.success(request, _("Group %(name)s created.") % {"name": made.name})
            return redirect("group-detail", group_id=made.pk)
    groups = Group.objects.annotate(member_count=Count("user", distinct=True),
                                    grant_count=Count("console_grants", distinct=True)).order_by("name")
    return render(request, "access/groups.html", {
        "groups": groups, "typed": typed, "errors": errors,
        "may_manage_accounts": is_account_administrator(request.user),
    }, status=400 if errors else 200)


def _group_context(group, rename_errors=None, member_errors=None, typed_name=None):
    members = group.user_set.order_by("username")
    return {
        "group": group, "members": members,
        "non_members": get_user_model().objects.exclude(pk__in=members.values("pk")).order_by("username"),
        "group_grants": Grant.objects.filter(group=group).select_related("role", "group", "domain__host",
                                                                         "pool__host", "network__host", "host"),
        "rename_errors": rename_errors or {}, "member_errors": member_errors or {},
        "typed_name": group.name if typed_name is None else typed_name,
    }


@route_permission("manage_grants", note="everywhere: a group's grants span every scope")
@require_http_methods(["GET", "POST"])
def group_detail(request, group_id):
    """One group: its members and grants; POST gives the group a grant."""
    permissions.require(request.user, "manage_grants")
    group = get_object_or_404(Group, pk=group_id)
    return _holder_page(request, "access/group.html", _group_context(group), f"group:{group.name}",
                        redirect("group-detail", group_id=group.pk))


def _group_page_again(request, group, **errors):
    """The group's page with a refused form's error on its field."""
    context = _group_context(group, **errors)
    context.update(grant_form_context(request, holder=f"group:{group.name}", scopes=_grant_scopes()))
    context["may_manage_accounts"] = is_account_administrator(request.user)
    return render(request, "access/group.html", context, status=400)


@route_permission("manage_grants", note=ADMINISTRATORS_ONLY)
@require_POST
def group_rename(request, group_id):
    permissions.require(request.user, "manage_grants")
    group = get_object_or_404(Group, pk=group_id)
    typed = request.POST.get("name", "")
    old_name = group.name
    try:
        do_rename_group(request.user, group, typed, source_address=client_address(request))
    except ConsoleError as exc:
        group.name = old_name
        return _group_page_again(request, group, rename_errors=_field_error(exc), typed_name=typed)
    messages.success(request, _("Group %(old)s is now called %(new)s.") % {"old": old_name, "new": group.name})
    return redirect("group-detail", group_id=group.pk)


@route_permission("manage_grants", note=ADMINISTRATORS_ONLY)
@require_POST
def group_delete(request, group_id):
    permissions.require(request.user, "manage_grants")
    group = get_object_or_404(Group, pk=group_id)
    name = group.name
    do_delete_group(request.user, group, source_address=client_address(request))
    messages.success(request, _("Group %(name)s deleted, with its grants.") % {"name": name})
    return redirect("group-list")


@route_permission("manage_grants", note=ADMINISTRATORS_ONLY)
@require_POST
def group_members(request, group_id):
    """Add (username=, change=add) or remove (change=remove) one member."""
    permissions.require(request.user, "manage_grants")
    group = get_object_or_404(Group, pk=group_id)
    username = request.POST.get("username", "")
    person = get_user_model().objects.filter(username=username).first()
    if person is None:
        return _group_page_again(request, group, member_errors={
            "username": _("There is no user named '%(name)s': pick one from the list.") % {"name": username}})
    if request.POST.get("change") == "remove":
        removed = do_remove_member(request.user, group, person, source_address=client_address(request))
        text = (_("%(user)s left %(group)s.") if removed else _("%(user)s was not in %(group)s."))
    else:
        added = do_add_member(request.user, group, person, source_address=client_address(request))
        text = (_("%(user)s joined %(group)s.") if added else _("%(user)s was in %(group)s already."))
    messages.success(request, text % {"user": person.username, "group": group.name})
    return redirect("group-detail", group_id=group.pk)
