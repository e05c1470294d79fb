"""The one place that decides what a user may see and do: restrict() for querysets, require() for actions."""

from django.http import Http404


class PermissionDenied(Exception):
    """A visible object, a forbidden action: carries the missing permission's name."""

    def __init__(self, permission, target=None):
        self.permission = permission
        self.target = target
        where = f" on {target}" if target is not None else ""
        super().__init__(f"You lack the permission '{permission}'{where}. Ask an administrator for a grant.")


def has_perm(user, permission, target=None):
    """Whether user holds permission on target (a Domain, a Host, or None for global)."""
    if not user or not user.is_authenticated or not user.is_active:
        return False
    return bool(user.is_superuser)


def restrict(queryset, user, permission="getattr"):
    """The rows of queryset (Domain or Host) on which user holds permission."""
    if has_perm(user, permission):
        return queryset
    return queryset.none()


def require(user, permission, target=None):
    """Raise Http404 if user may not even see target, PermissionDenied if it may see but not do."""
    if has_perm(user, permission, target):
        return
    if target is not None and not has_perm(user, "getattr", target):
        raise Http404("No such object.")
    raise PermissionDenied(permission, target)
