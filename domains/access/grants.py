"""Giving and taking grants, and defining roles: who may, what it costs, what gets closed and audited."""

from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.access import audit, permissions
from domains.access.models import Grant, Role
from domains.access.permission_names import PER_DOMAIN, PER_NETWORK, PER_POOL
from domains.errors import ConsoleError
from domains.hosts.models import Host
from domains.lifecycle.models import Domain
from domains.networks.models import Network
from domains.storage.models import Pool


class GrantError(ConsoleError):
    """A grant or role request that cannot be done as asked; message says what to change."""

    code = "invalid_grant"

    def __init__(self, message, field=None):
        super().__init__(message, fields={field: [message]} if field else None)
        self.field = field


def _role(role):
    if isinstance(role, Role):
        return role
    found = Role.objects.filter(name=role).first()
    if found is None:
        names = ", ".join(Role.objects.values_list("name", flat=True))
        raise GrantError(format_lazy(_("There is no role named '{role}'. Roles: {names}."), role=role, names=names),
                         field="role")
    return found


def _beyond_held(user, permission_names, target):
    """The permissions among permission_names that user does not hold on target (what they may not give)."""
    # A grant on one domain, pool or network gives only that object's permissions, so the others do not count there.
    if isinstance(target, Domain):
        relevant = [p for p in permission_names if p in PER_DOMAIN]
    elif isinstance(target, Pool):
        relevant = [p for p in permission_names if p in PER_POOL or p == "manage_grants"]
    elif isinstance(target, Network):
        relevant = [p for p in permission_names if p in PER_NETWORK or p == "manage_grants"]
    else:
        relevant = permission_names
    return sorted(p for p in set(relevant) if not permissions.has_perm(user, p, target))


def _check_may_manage(user, role, target, action, params, source_address):
    """require manage_grants on target and every permission of role there; audit a refusal."""
    try:
        permissions.require(user, "manage_grants", target)
        missing = _beyond_held(user, role.permissions, target)
        if missing:
            raise permissions.PermissionDenied(missing[0], target)
    except permissions.PermissionDenied as refusal:
        audit.record_denied(user, action, target, params, refusal, source_address)
        raise


def _check_role_applies(role, domain, pool, network=None):
    """GrantError for a role none of whose permissions mean anything on one domain, pool or network."""
    # The role names are the built-in roles' own (data, never translated).
    if domain is not None:
        applies = PER_DOMAIN
        message = _("The role '{role}' gives nothing on a domain: none of its permissions ({permissions}) apply to "
                    "one domain. Give a role such as 'Viewer', 'Console user', 'Operator' or 'Power user', or grant "
                    "it on the host.")
    elif pool is not None:
        applies = PER_POOL | {"manage_grants"}
        message = _("The role '{role}' gives nothing on a pool: none of its permissions ({permissions}) apply to one "
                    "pool. Give a role such as 'Pool viewer' or 'Pool user', or grant it on the host.")
    elif network is not None:
        applies = PER_NETWORK | {"manage_grants"}
        message = _("The role '{role}' gives nothing on a network: none of its permissions ({permissions}) apply to "
                    "one network. Give a role such as 'Network user', or grant it on the host.")
    else:
        return  # a host or global grant reaches domains, pools and the host itself
    if not set(role.permissions) & applies:
        raise GrantError(format_lazy(message, role=role.name,
                                     permissions=", ".join(sorted(role.permissions)) or _("none")), field="role")


def do_grant(user, role, to_user=None, to_group=None, domain=None, host=None, source_address=None, pool=None,
             network=None):
    """Give role to to_user or to_group on domain, pool, network, everything of host, or everything; returns
    (Grant, created)."""
    if (to_user is None) == (to_group is None):
        raise GrantError(_("Name exactly one holder: a user or a group."), field="user")
    if sum(scope is not None for scope in (domain, pool, network, host)) > 1:
        raise GrantError(_("A grant is on one domain, one pool, one network, one host, or everything: give only one "
                           "of them."), field="host")
    role = _role(role)
    target = domain or pool or network or host
    _check_role_applies(role, domain, pool, network)
    holder = {"user": to_user} if to_user is not None else {"group": to_group}
    params = {"role": role.name}
    params.update({"user": to_user.get_username()} if to_user is not None else {"group": to_group.name})
    _check_may_manage(user, role, target, "grant.add", params, source_address)
    with transaction.atomic():
        grant, created = Grant.objects.get_or_create(
            role=role, domain=domain, pool=pool, network=network, host=host, **holder,
            defaults={"created_by": user if getattr(user, "is_authenticated", False) else None},
        )
    if created:
        audit.record(user, "grant.add", target, {**params, "grant": grant.pk}, source_address=source_address,
                     label=None if target is not None else "everything")
    return grant, created


def _affected_users(grant):
    if grant.user_id:
        return [grant.user]
    return list(grant.group.user_set.all())


def _domains_in_scope(grant):
    if grant.domain_id:
        return [grant.domain]
    if grant.pool_id or grant.network_id:
        return []  # a grant on a pool or a network gives nothing on any domain
    rows = Domain.objects.select_related("host")
    return list(rows.filter(host_id=grant.host_id) if grant.host_id else rows)


@contextmanager
def closing_what_is_lost(users, grants):
    """Around a change that may take grants away from users (a revocation, a group emptied or deleted): afterwards
    every listener (open consoles, monitors) hears of each domain of grants' scopes a user lost rights on."""
    users = [u for u in users if u.is_active and not u.is_superuser]
    before = {u.pk: permissions.load_held(u) for u in users}
    domains = {d.pk: d for grant in grants for d in _domains_in_scope(grant)} if users else {}
    yield
    for affected in users:
        after = permissions.load_held(affected)
        lost = [d for d in domains.values()
                if before[affected.pk].on_domain(d.pk, d.host_id) - after.on_domain(d.pk, d.host_id)]
        permissions.notify_revoked(affected, lost)


def do_revoke(user, grant, source_address=None):
    """Take grant away; then every listener (open consoles, monitors) hears of each domain its users lost rights on."""
    target = grant.scope_target
    params = {"grant": grant.pk, "role": grant.role.name,
              "holder": grant.user.get_username() if grant.user_id else f"group {grant.group.name}"}
    _check_may_manage(user, grant.role, target, "grant.revoke", params, source_address)
    with closing_what_is_lost(_affected_users(grant), [grant]):
        grant.delete()
        audit.record(user, "grant.revoke", target, params, source_address=source_address,
                     label=None if target is not None else "everything")


def visible_grants(user):
    """Grants user may see: those on scopes where they may manage grants, and their own."""
    rows = Grant.objects.select_related("role", "user", "group", "domain__host", "pool__host", "network__host",
                                        "host")
    held = permissions.held_by(user)
    if held.everything or "manage_grants" in held.everywhere:
        return rows
    managed = (
        Q(domain__in=permissions.restrict(Domain.objects.all(), user, "manage_grants"))
        | Q(pool__in=permissions.restrict(Pool.objects.all(), user, "manage_grants"))
        | Q(network__in=permissions.restrict(Network.objects.all(), user, "manage_grants"))
        | Q(host__in=permissions.restrict(Host.objects.all(), user, "manage_grants"))
    )
    own = Q(user_id=user.pk) | Q(group__user=user) if user.is_authenticated else Q(pk__in=[])
    return rows.filter(managed | own).distinct()


def find_holder(username=None, group=None):
    """The user or group a grant request names, or GrantError naming what was not found."""
    if (username is None) == (group is None):
        raise GrantError(_('Name exactly one holder: "user": "<username>" or "group": "<name>".'), field="user")
    if username is not None:
        found = get_user_model().objects.filter(username=username).first()
        if found is None:
            raise GrantError(format_lazy(_("There is no user named '{username}'."), username=username), field="user")
        return found, None
    found = Group.objects.filter(name=group).first()
    if found is None:
        raise GrantError(format_lazy(_("There is no group named '{group}'."), group=group), field="group")
    return None, found


def do_define_role(user, name, permission_names, description="", source_address=None):
    """Define a new role; needs manage_grants everywhere and every permission it contains."""
    role = Role(name=(name or "").strip(), permissions=sorted(set(permission_names or [])),
                description=description or "")
    if not role.name:
        raise GrantError(_("A role needs a name."), field="name")
    if Role.objects.filter(name=role.name).exists():
        raise GrantError(format_lazy(_("A role named '{name}' exists already: pick another name."), name=role.name),
                         field="name")

    try:
        role.clean()
    except ValidationError as exc:
        raise GrantError(" ".join(exc.message_dict.get("permissions", exc.messages)), field="permissions") from exc
    _check_may_manage(user, role, None, "role.define", {"name": role.name, "permissions": role.permissions},
                      source_address)
    role.save()
    audit.record(user, "role.define", role, {"permissions": role.permissions}, source_address=source_address)
    return role


OWNER_ROLE = "Administrator"


def do_give_ownership(user, domain, source_address=None):
    """Make user the owner of a domain they just made (a clone): the Administrator role on it, given by the console.

    No manage_grants is needed: making the domain was the permission. A superuser holds everything already, so
    gets no grant. Returns the Grant, or None.
    """
    if not getattr(user, "is_authenticated", False) or user.is_superuser:
        return None
    with transaction.atomic():
        grant, created = Grant.objects.get_or_create(role=_role(OWNER_ROLE), user=user, domain=domain,
                                                     defaults={"created_by": user})
    if created:
        audit.record(user, "grant.add", domain, {"role": OWNER_ROLE, "user": user.get_username(), "grant": grant.pk,
                                                 "reason": "owner of the domain they made"},
                     source_address=source_address)
    return grant
