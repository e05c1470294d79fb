"""The one place that decides what a user may see and do: restrict() for querysets, require() for actions."""

import contextvars
import logging
import time
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import Http404
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.access.models import Grant
from domains.access.permission_names import (
    HOST_LEVEL,
    PERMISSIONS,
    ROUTE_PERMISSIONS,
    ROUTE_SENTINELS,
)
from domains.hosts.models import Host
from domains.lifecycle.models import Domain
from domains.networks.models import Network
from domains.storage.models import Pool

log = logging.getLogger(__name__)

# A user's grants are read once and kept on the user object. Any grant, role or
# membership change in this process bumps the generation, so a long-lived user
# object (a websocket consumer's) sees it at once; changes made by another
# process are seen within CACHE_SECONDS.
CACHE_SECONDS = 2.0
_generation = 0


class PermissionDenied(Exception):
    """A visible object, a forbidden action: carries the missing permission's name."""

    def __init__(self, permission, target=None):
        self.permission = permission
        self.target = target
        if target is None:
            message = format_lazy(_("You lack the permission '{permission}'. Ask an administrator for a grant."),
                                  permission=permission)
        else:
            message = format_lazy(_("You lack the permission '{permission}' on {target}. Ask an administrator for a "
                                    "grant."), permission=permission, target=target)
        super().__init__(message)  # lazy: str() of the refusal says it in the reader's language



class Held:
    """The permissions one user holds through all their grants: everywhere, per host, domain, pool, network (ids)."""

    def __init__(self, everything=False):
        self.everything = everything
        self.everywhere = set()
        self.by_host = defaultdict(set)
        self.by_domain = defaultdict(set)
        self.host_of_domain = {}
        self.by_pool = defaultdict(set)
        self.host_of_pool = {}
        self.by_network = defaultdict(set)
        self.host_of_network = {}

    def add(self, domain_id, domain_host_id, host_id, permissions, pool_id=None, pool_host_id=None,
            network_id=None, network_host_id=None):
        if domain_id is not None:
            self.by_domain[domain_id].update(permissions)
            self.host_of_domain[domain_id] = domain_host_id
        elif pool_id is not None:
            self.by_pool[pool_id].update(permissions)
            self.host_of_pool[pool_id] = pool_host_id
        elif network_id is not None:
            self.by_network[network_id].update(permissions)
            self.host_of_network[network_id] = network_host_id
        elif host_id is not None:
            self.by_host[host_id].update(permissions)
        else:
            self.everywhere.update(permissions)

    def on_host(self, host_id):
        return self.everywhere | self.by_host.get(host_id, set())

    def on_domain(self, domain_id, host_id):
        return self.on_host(host_id) | self.by_domain.get(domain_id, set())

    def on_pool(self, pool_id, host_id):
        return self.on_host(host_id) | self.by_pool.get(pool_id, set())

    def on_network(self, network_id, host_id):
        return self.on_host(host_id) | self.by_network.get(network_id, set())

    def holds(self, permission, target):

        if self.everything:
            return True
        if target is None:
            return permission in self.everywhere
        if isinstance(target, Domain):
            if permission in HOST_LEVEL:
                return permission in self.on_host(target.host_id)
            return permission in self.on_domain(target.pk, target.host_id)
        if isinstance(target, Pool):
            if permission in HOST_LEVEL:
                return permission in self.on_host(target.host_id)
            return permission in self.on_pool(target.pk, target.host_id)
        if isinstance(target, Network):
            if permission in HOST_LEVEL:
                return permission in self.on_host(target.host_id)
            return permission in self.on_network(target.pk, target.host_id)
        if isinstance(target, Host):
            if permission in self.on_host(target.pk):
                return True
            # A host is visible to whoever may see one of its domains, pools or networks.
            return permission == "getattr" and target.pk in self.hosts_seen_through_objects()
        inner = getattr(target, "domain", None)
        if isinstance(inner, Domain):
            return self.holds(permission, inner)
        inner = getattr(target, "pool", None)
        if isinstance(inner, Pool):
            return self.holds(permission, inner)
        inner = getattr(target, "network", None)
        if isinstance(inner, Network):
            return self.holds(permission, inner)
        raise TypeError(f"Permissions apply to a Domain, a Pool, a Network, a Host or None, not to "
                        f"{type(target).__name__}.")

    def anywhere(self, permission):
        """Whether some grant gives permission on some target: a page offers the way to what it needs."""
        if self.everything or permission in self.everywhere:
            return True
        return any(permission in perms for by in (self.by_host, self.by_domain, self.by_pool, self.by_network)
                   for perms in by.values())

    def hosts_holding(self, permission):
        return {host_id for host_id, perms in self.by_host.items() if permission in perms}

    def domains_holding(self, permission):
        return {domain_id for domain_id, perms in self.by_domain.items() if permission in perms}

    def hosts_with_domain_permission(self, permission):
        return {self.host_of_domain[domain_id] for domain_id in self.domains_holding(permission)}

    def pools_holding(self, permission):
        return {pool_id for pool_id, perms in self.by_pool.items() if permission in perms}

    def networks_holding(self, permission):
        return {network_id for network_id, perms in self.by_network.items() if permission in perms}

    def hosts_seen_through_objects(self):
        """Hosts of the domains, pools and networks the user may see: seeing one of them shows its host."""
        return (self.hosts_with_domain_permission("getattr")
                | {self.host_of_pool[pool_id] for pool_id in self.pools_holding("storage_pool.getattr")}
                | {self.host_of_network[network_id] for network_id in self.networks_holding("network.getattr")})


def _load(user):

    held = Held()
    rows = (
        Grant.objects.filter(Q(user_id=user.pk) | Q(group__user=user))
        .values_list("domain_id", "domain__host_id", "host_id", "role__permissions", "pool_id", "pool__host_id",
                     "network_id", "network__host_id")
        .distinct()
    )
    for domain_id, domain_host_id, host_id, permissions, pool_id, pool_host_id, network_id, network_host_id in rows:
        held.add(domain_id, domain_host_id, host_id, permissions or (), pool_id, pool_host_id, network_id,
                 network_host_id)
    return held


def load_held(user):
    """What user holds, read from the database now (no cache)."""
    if not user or not user.is_authenticated or not user.is_active:
        return Held()
    if user.is_superuser:
        return Held(everything=True)
    return _load(user)


def held_by(user):
    """What user holds (superusers: everything; anonymous or inactive: nothing); one query, then cached."""
    if not user or not user.is_authenticated or not user.is_active or user.is_superuser:
        return load_held(user)
    cached = getattr(user, "_console_held", None)
    now = time.monotonic()
    if cached and cached[0] == _generation and now - cached[1] < CACHE_SECONDS:
        return cached[2]
    held = load_held(user)
    user._console_held = (_generation, now, held)
    return held


def _check_name(permission):
    if permission not in PERMISSIONS:
        raise ValueError(f"'{permission}' is not a permission: domains/access/permission_names.py lists them.")


def has_perm(user, permission, target=None):
    """Whether user holds permission on target (a Domain, a Pool, a Network, a Host, or None for global)."""
    _check_name(permission)
    return held_by(user).holds(permission, target)


def has_perm_somewhere(user, permission):
    """Whether user holds permission on at least one target (a navigation link to where it is used)."""
    _check_name(permission)
    return held_by(user).anywhere(permission)


def restrict(queryset, user, permission="getattr"):
    """The rows of queryset (Domain, Pool, Network or Host) on which user holds permission; no query beyond the
    cached grants."""

    _check_name(permission)
    held = held_by(user)
    if held.everything or permission in held.everywhere:
        return queryset
    model = queryset.model
    if model is Domain:
        hosts = held.hosts_holding(permission)
        domains = set() if permission in HOST_LEVEL else held.domains_holding(permission)
        return queryset.filter(Q(pk__in=domains) | Q(host_id__in=hosts)) if hosts or domains else queryset.none()
    if model is Pool:
        hosts = held.hosts_holding(permission)
        pools = set() if permission in HOST_LEVEL else held.pools_holding(permission)
        return queryset.filter(Q(pk__in=pools) | Q(host_id__in=hosts)) if hosts or pools else queryset.none()
    if model is Network:
        hosts = held.hosts_holding(permission)
        networks = set() if permission in HOST_LEVEL else held.networks_holding(permission)
        return queryset.filter(Q(pk__in=networks) | Q(host_id__in=hosts)) if hosts or networks else queryset.none()
    if model is Host:
        hosts = held.hosts_holding(permission)
        if permission == "getattr":
            hosts |= held.hosts_seen_through_objects()
        return queryset.filter(pk__in=hosts) if hosts else queryset.none()
    raise TypeError(f"restrict() works on Domain, Pool, Network and Host querysets, not on {model.__name__}.")


def _pool_of(target):
    """The Pool target is or belongs to (a volume's, a revision's), or None."""
    return target if isinstance(target, Pool) else getattr(target, "pool", None)


def _network_of(target):
    """The Network target is or belongs to (a revision's), or None."""
    return target if isinstance(target, Network) else getattr(target, "network", None)


def require(user, permission, target=None):
    """Raise Http404 if user may not even see target, PermissionDenied if it may see but not do.

    A pool is seen through storage_pool.getattr (a pool grant holds no domain's getattr), a network through
    network.getattr, anything else through getattr: a pool or network the user may not see answers as a missing
    one, like a hidden domain.
    """
    if has_perm(user, permission, target):
        return
    if target is not None:
        pool, network = _pool_of(target), _network_of(target)
        if isinstance(pool, Pool):
            if not has_perm(user, "storage_pool.getattr", pool):
                raise Http404("No such pool, or you may not see it.")
        elif isinstance(network, Network):
            if not has_perm(user, "network.getattr", network):
                raise Http404("No such network, or you may not see it.")
        elif not has_perm(user, "getattr", target):
            raise Http404("No such object.")
    raise PermissionDenied(permission, target)


# --- revocation hook: the live sessions subscribe, domains never imports them ---

_revoke_listeners = []


def on_revoke(callback):
    """Call callback(user=..., domain=...) for each domain on which a user lost permissions; usable as decorator."""
    if callback not in _revoke_listeners:
        _revoke_listeners.append(callback)
    return callback


def notify_revoked(user, domains):
    """Tell every listener that user lost permissions on each of domains (Domain rows)."""
    for domain in domains:
        for callback in list(_revoke_listeners):
            try:
                # A fresh context: a listener that schedules work on an event loop must not carry
                # the caller's asgiref markers along (a sync view's would make its task refuse to
                # use the database: "Single thread executor already being used, would deadlock").
                contextvars.Context().run(callback, user=user, domain=domain)
            except Exception:  # one broken listener must not keep the others from closing sessions
                log.exception("revoke listener %r failed for user %s on %s", callback, user, domain)


# --- route declarations: every URL and websocket route names what it needs ---


def _check_declaration(value):
    names = [value] if isinstance(value, str) else list(value)
    for name in names:
        if name not in PERMISSIONS and name not in ROUTE_SENTINELS:
            raise ValueError(f"'{name}' is neither a permission nor one of {sorted(ROUTE_SENTINELS)}.")
    return value if isinstance(value, str) else tuple(names)


def route_permission(permission=None, note="", **by_method):
    """Mark a view function, view class or consumer class with the permission its route needs.

    permission is a name from domains/access/permission_names.py, PUBLIC or AUTHENTICATED, or a
    tuple of names when the request decides which one (note says how); or give one per
    HTTP method: route_permission(GET=AUTHENTICATED, POST="manage_grants").
    The route-coverage test fails for any route without a declaration.
    """
    if (permission is None) == (not by_method):
        raise ValueError("Declare one permission for the route, or one per HTTP method.")
    if permission is not None:
        declared = _check_declaration(permission)
    else:
        declared = {method.upper(): _check_declaration(value) for method, value in by_method.items()}

    def mark(view):
        view.required_permission = declared
        view.required_permission_note = note
        return view

    return mark


def declared_permission(callback, key):
    """The declaration of a route: the mark on its view or consumer, else ROUTE_PERMISSIONS[key], else None."""

    for holder in (callback, getattr(callback, "view_class", None), getattr(callback, "cls", None),
                   getattr(callback, "consumer_class", None)):
        declared = getattr(holder, "required_permission", None)
        if declared is not None:
            return declared
    return ROUTE_PERMISSIONS.get(key)


def _bump(**kwargs):
    global _generation
    _generation += 1


def connect_cache_invalidation(Grant, Role):
    """Bump the generation on grant, role and group membership changes (called once from DomainsConfig.ready)."""
    for model in (Grant, Role):
        post_save.connect(_bump, sender=model, dispatch_uid=f"permissions-bump-save-{model.__name__}")
        post_delete.connect(_bump, sender=model, dispatch_uid=f"permissions-bump-delete-{model.__name__}")
    m2m_changed.connect(_bump, sender=get_user_model().groups.through, dispatch_uid="permissions-bump-groups")


__all__ = ["PermissionDenied", "has_perm", "held_by", "load_held", "notify_revoked", "on_revoke", "require", "restrict",
           "route_permission", "declared_permission"]
