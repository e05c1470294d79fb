"""Console accounts: creating, deactivating and reactivating users and setting their passwords. Only the console's
administrator (a superuser, or the console itself) may, and every change is audited."""

from django.contrib.auth import get_user_model, password_validation
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.access import audit, permissions
from domains.errors import ConsoleError


class UserError(ConsoleError):
    """A user that cannot be created or changed as asked; message says what to change."""

    code = "invalid_user"

    def __init__(self, message, field=None):
        super().__init__(message, fields={field: [message]} if field else None)
        self.field = field


def is_account_administrator(actor):
    """Whether actor may manage accounts and groups: an active superuser (None, the console itself, may too)."""
    return actor is None or bool(getattr(actor, "is_active", False) and getattr(actor, "is_superuser", False))


def require_account_administrator(actor, action, target, params, source_address):
    """PermissionDenied (audited as action) unless actor is an account administrator."""
    if is_account_administrator(actor):
        return
    refusal = permissions.PermissionDenied("superuser")
    refusal.args = (_("Only the console's administrator (a superuser) may manage users and groups. "
                      "Ask an administrator to make the change."),)
    audit.record_denied(actor, action, target, params, refusal, source_address)
    raise refusal


def refuse(actor, action, target, params, refusal, source_address):
    """Audit refusal (a UserError or a GroupError) as action's outcome, then raise it."""
    audit.record(actor, action, target, params, outcome=format_lazy("refused: {}", refusal.message),
                 source_address=source_address)
    raise refusal


def _complaints(validate, *args):
    """A Django validator's complaints about args as one sentence ('' when it has none): Django's own words."""
    try:
        validate(*args)
    except ValidationError as exc:
        return " ".join(exc.messages)
    return ""


# The complaints said again whenever they are read: in the reader's language, and in the console's when audited.
_said_complaints = lazy(_complaints, str)


def _password_problems(password, user):
    """Django's password validators' complaints about password for user, as one sentence (or None)."""
    if not _complaints(password_validation.validate_password, password, user):
        return None
    return _said_complaints(password_validation.validate_password, password, user)


def do_create_user(actor, username, password, email="", is_superuser=False, source_address=None):
    """Create a user (a superuser if is_superuser) on behalf of actor (None: the console itself); returns it.

    A password (None: the account gets no usable password) must pass Django's password validators.
    """
    username, email = (username or "").strip(), (email or "").strip()
    params = {"username": username, "email": email, "is_superuser": bool(is_superuser)}
    require_account_administrator(actor, "user.create", None, params, source_address)
    users = get_user_model()
    if not username:
        raise UserError(_("A user needs a username."), field="username")
    if _complaints(users.username_validator, username):
        refuse(actor, "user.create", None, params,
               UserError(_said_complaints(users.username_validator, username), field="username"), source_address)
    if email:
        try:
            validate_email(email)
        except ValidationError:
            refuse(actor, "user.create", None, params,
                   UserError(format_lazy(_("'{email}' is not an email address."), email=email), field="email"),
                   source_address)
    if password is not None:
        problems = _password_problems(password, users(username=username, email=email))
        if problems:
            refuse(actor, "user.create", None, params, UserError(problems, field="password"), source_address)
    make = users.objects.create_superuser if is_superuser else users.objects.create_user
    try:
        with transaction.atomic():
            user = make(username, email, password)
    except IntegrityError:
        refuse(actor, "user.create", None, params,
               UserError(format_lazy(_("A user named '{username}' exists already: pick another username, or change "
                                       "that user's password instead."), username=username), field="username"),

               source_address)
    audit.record(actor, "user.create", user, params, source_address=source_address)
    return user


def end_sessions(user):
    """Delete every signed-in session of user; each deletion closes the sockets opened with it (console/apps.py)."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            session.delete()  # one by one: post_delete is what closes the session's sockets
            ended += 1
    return ended


def do_set_active(actor, user, active, source_address=None):
    """Deactivate (active False) or reactivate user; returns user.

    A deactivated account keeps nothing open: saving is_active=False closes its sockets (the receiver in
    console/apps.py, the one every deactivation goes through), and its signed-in sessions are deleted. Its
    grants, groups and API token stay, and count again once it is reactivated.
    """
    action = "user.reactivate" if active else "user.deactivate"
    params = {"username": user.get_username()}
    require_account_administrator(actor, action, user, params, source_address)
    if not active and actor is not None and actor.pk == user.pk:
        refuse(actor, action, user, params,
               UserError(_("You cannot deactivate your own account: another administrator has to."), field="active"),
               source_address)
    if user.is_active == bool(active):
        return user
    # The intent is on disk before the sessions start closing: they are in other processes too.
    intent = audit.record_intent(actor, action, user, params, source_address=source_address)
    user.is_active = bool(active)
    user.save(update_fields=["is_active"])
    ended = 0 if active else end_sessions(user)
    audit.record_outcome(intent, actor, user, "ok", {**params, "sessions_ended": ended} if not active else params,
                         source_address=source_address)
    return user


def do_set_password(actor, user, password, source_address=None):
    """Give user a new password chosen by the administrator (actor); their signed-in sessions end. Returns user."""
    params = {"username": user.get_username()}
    require_account_administrator(actor, "user.password", user, params, source_address)
    if actor is not None and actor.pk == user.pk:
        refuse(actor, "user.password", user, params,
               UserError(_("Change your own password on your account page."), field="password"), source_address)
    problems = _password_problems(password or "", user) if password else _("Enter a new password.")
    if problems:
        refuse(actor, "user.password", user, params, UserError(problems, field="password"), source_address)
    intent = audit.record_intent(actor, "user.password", user, params, source_address=source_address)
    user.set_password(password)
    user.save(update_fields=["password"])
    ended = end_sessions(user)
    audit.record_outcome(intent, actor, user, "ok", {**params, "sessions_ended": ended}, source_address=source_address)
    return user
