"""Groups of users, which grants can be given to: made, renamed, deleted and filled by the console's administrator,
every change audited; a member who leaves (or a group deleted) loses what the group's grants gave at once."""

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.access import audit
from domains.access.grants import closing_what_is_lost
from domains.access.models import Grant
from domains.access.users import refuse, require_account_administrator
from domains.errors import ConsoleError

NAME_LENGTH = Group._meta.get_field("name").max_length


class GroupError(ConsoleError):
    """A group change that cannot be done as asked; message says what to change."""

    code = "invalid_group"

    def __init__(self, message, field=None):
        super().__init__(message, fields={field: [message]} if field else None)
        self.field = field


def _checked_name(actor, action, target, params, name, source_address, keep=None):
    """name stripped, or a GroupError (audited) when it is empty, too long or another group's already."""
    name = (name or "").strip()
    if not name:
        raise GroupError(_("A group needs a name."), field="name")
    if len(name) > NAME_LENGTH:
        refuse(actor, action, target, params, GroupError(
            format_lazy(_("A group's name has at most {count} characters."), count=NAME_LENGTH), field="name"),

            source_address)
    if Group.objects.filter(name=name).exclude(pk=getattr(keep, "pk", None)).exists():
        refuse(actor, action, target, params, GroupError(
            format_lazy(_("A group named '{name}' exists already: pick another name."), name=name), field="name"),
            source_address)
    return name


def do_create_group(actor, name, source_address=None):
    """A new, empty group named name; returns it."""
    params = {"name": (name or "").strip()}
    require_account_administrator(actor, "group.create", None, params, source_address)
    name = _checked_name(actor, "group.create", None, params, name, source_address)
    try:
        with transaction.atomic():
            group = Group.objects.create(name=name)
    except IntegrityError:  # made by someone else since the check
        refuse(actor, "group.create", None, params, GroupError(
            format_lazy(_("A group named '{name}' exists already: pick another name."), name=name), field="name"),
            source_address)
    audit.record(actor, "group.create", group, params, source_address=source_address)
    return group


def do_rename_group(actor, group, name, source_address=None):
    """Rename group (its grants and members stay); returns it."""
    params = {"name": group.name, "new_name": (name or "").strip()}
    require_account_administrator(actor, "group.rename", group, params, source_address)
    name = _checked_name(actor, "group.rename", group, params, name, source_address, keep=group)
    if name == group.name:
        return group
    group.name = name
    try:
        with transaction.atomic():
            group.save(update_fields=["name"])
    except IntegrityError:
        refuse(actor, "group.rename", group, params, GroupError(
            format_lazy(_("A group named '{name}' exists already: pick another name."), name=name), field="name"),
            source_address)
    audit.record(actor, "group.rename", group, params, source_address=source_address)
    return group


def do_delete_group(actor, group, source_address=None):
    """Delete group with its grants; its members lose what those gave them, and their consoles on it close."""
    grants = list(Grant.objects.filter(group=group).select_related("domain", "host", "role"))
    members = list(group.user_set.all())
    params = {"name": group.name, "members": [m.get_username() for m in members],
              "grants": [f"{g.role.name} on {g.scope_target or 'everything'}" for g in grants]}
    require_account_administrator(actor, "group.delete", group, params, source_address)
    intent = audit.record_intent(actor, "group.delete", group, params, source_address=source_address)
    gone = Group(pk=group.pk, name=group.name)  # delete() clears group.pk; the outcome names the same row
    with closing_what_is_lost(members, grants):
        group.delete()
    audit.record_outcome(intent, actor, gone, "ok", params, source_address=source_address)


def do_add_member(actor, group, user, source_address=None):
    """Put user into group; returns True if they were not in it yet."""
    params = {"group": group.name, "username": user.get_username()}
    require_account_administrator(actor, "group.add_member", group, params, source_address)
    if group.user_set.filter(pk=user.pk).exists():
        return False
    group.user_set.add(user)
    audit.record(actor, "group.add_member", group, params, source_address=source_address)
    return True


def do_remove_member(actor, group, user, source_address=None):
    """Take user out of group: they lose what its grants gave them at once. Returns True if they were in it."""
    params = {"group": group.name, "username": user.get_username()}
    require_account_administrator(actor, "group.remove_member", group, params, source_address)
    if not group.user_set.filter(pk=user.pk).exists():
        return False
    with closing_what_is_lost([user], list(Grant.objects.filter(group=group).select_related("domain", "host"))):
        group.user_set.remove(user)
    audit.record(actor, "group.remove_member", group, params, source_address=source_address)
    return True
