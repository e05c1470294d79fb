"""Setting a user's or a group's quota: administrators only (manage_quotas everywhere), audited."""

from domains.access import audit
from domains.quotas.limits import RESOURCES
from domains.quotas.models import Quota

ACTION = "quota.set"
PERMISSION = "manage_quotas"
LIMIT_FIELDS = tuple(field for _name, field, _said in RESOURCES)


def do_set_quota(actor, limits, user=None, group=None, source_address=None):
    """Set the limits given (quota field -> number, or None for unlimited) of user's or group's quota; the fields
    left out keep their value (unlimited on a new quota). Returns the Quota."""
    holder = user if user is not None else group
    params = {"user": user.get_username() if user is not None else None,
              "group": group.name if group is not None else None, **limits}
    audit.require(actor, PERMISSION, None, ACTION, params, source_address)
    quota, _created = Quota.objects.get_or_create(user=user, group=group)
    for field in LIMIT_FIELDS:
        if field in limits:
            setattr(quota, field, limits[field])
    quota.changed_by = actor
    quota.save()
    audit.record(actor, ACTION, holder, params, source_address=source_address)
    return quota
