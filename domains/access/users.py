"""Creating console users: only the console's administrator (or the console itself) may, and it is audited."""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from domains.access import audit, permissions
from domains.errors import ConsoleError


class UserError(ConsoleError):
    """A user that cannot be created as asked; message says what to change."""

    code = "invalid_user"

    def __init__(self, message, field=None):
        super().__init__(message, fields={field: [message]} if field else None)
        self.field = field


def _require_superuser(actor, params, source_address):
    """actor None is the console itself (setup, management commands); any other actor must be a superuser."""
    if actor is None or (getattr(actor, "is_active", False) and getattr(actor, "is_superuser", False)):
        return
    refusal = permissions.PermissionDenied("superuser")
    refusal.args = ("Only the console's administrator (a superuser) may create users. "
                    "Ask an administrator to create the account.",)
    audit.record_denied(actor, "user.create", None, params, refusal, source_address)
    raise refusal


def do_create_user(actor, username, password, email="", is_superuser=False, source_address=None):
    """Create a user (a superuser if is_superuser) on behalf of actor (None: the console itself); returns it."""
    username = (username or "").strip()
    params = {"username": username, "email": email, "is_superuser": bool(is_superuser)}
    _require_superuser(actor, params, source_address)
    if not username:
        raise UserError("A user needs a username.", field="username")
    users = get_user_model()
    make = users.objects.create_superuser if is_superuser else users.objects.create_user
    try:
        with transaction.atomic():
            user = make(username, email, password)
    except IntegrityError:
        refusal = UserError(f"A user named '{username}' exists already: pick another username, or change that "
                            "user's password instead.", field="username")
        audit.record(actor, "user.create", None, params, outcome=f"refused: {refusal.message}",
                     source_address=source_address)
        raise refusal from None
    audit.record(actor, "user.create", user, params, source_address=source_address)
    return user
