"""Logins, logouts and failed logins go to the audit log; failed logins are rate-limited by django-axes."""

from axes.backends import AxesStandaloneBackend
from django.contrib.auth.signals import (
    user_logged_in,
    user_logged_out,
    user_login_failed,
)
from django.dispatch import receiver

from domains.access import audit


def _address(request):
    return request.META.get("REMOTE_ADDR") if request is not None else None


@receiver(user_logged_in, dispatch_uid="audit-login")
def _logged_in(sender, request, user, **kwargs):
    audit.record(user, "login", params={"via": sender.__name__ if sender else ""}, source_address=_address(request))


@receiver(user_logged_out, dispatch_uid="audit-logout")
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit.record(user, "logout", source_address=_address(request))


@receiver(user_login_failed, dispatch_uid="audit-login-failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    # Django already masks the password in credentials; redaction would catch it anyway.
    username = str(credentials.get("username", ""))
    locked = bool(getattr(request, "axes_locked_out", False))
    audit.record(username or "anonymous", "login.failed", params={"username": username},
                 outcome="locked out" if locked else "wrong username or password",
                 source_address=_address(request))


class LoginRateLimit(AxesStandaloneBackend):
    """django-axes' lockout check, skipped for calls made without a request (manage.py, the test client).

    Every login over the network (the login form, DRF) passes its request, so it
    is counted and locked out; code that authenticates in-process has no client to limit.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
