"""Console tickets: a single-use, short-lived right to open one console of one domain, as one user."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from domains.lifecycle.models import Domain

TICKET_LIFETIME = timedelta(seconds=30)
SERIAL = "serial"
VNC = "vnc"
KINDS = [(SERIAL, "serial console"), (VNC, "graphical console (VNC)")]
# The permission each kind needs, in libvirt's ACL words.
KIND_PERMISSIONS = {SERIAL: "open_device", VNC: "open_graphics"}


class TicketRefused(Exception):
    """A ticket that cannot open this console; code is one of forged, reused, expired, wrong_user, wrong_console."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


class ConsoleTicketQuerySet(models.QuerySet):
    def issue(self, user, domain, kind):
        """A new ticket for user on domain's console of kind; returns the token, which is stored only hashed."""
        token = secrets.token_urlsafe(32)
        now = timezone.now()
        self.create(token_hash=hash_token(token), user=user, domain=domain, kind=kind,
                    created=now, expires=now + TICKET_LIFETIME)
        # Old tickets are worth nothing: drop them while we are here.
        self.filter(expires__lt=now - TICKET_LIFETIME).delete()
        return token

    def redeem(self, token, user, domain, kind):
        """Use up token for user on domain's console of kind, or raise TicketRefused saying why."""
        ticket = self.filter(token_hash=hash_token(token or "")).select_related("domain").first()
        if ticket is None:
            raise TicketRefused("forged", "This console ticket is not one the console issued: open the console again.")
        if ticket.user_id != getattr(user, "pk", None):
            raise TicketRefused("wrong_user", "This console ticket belongs to another user: open the console yourself.")
        if ticket.domain_id != domain.pk or ticket.kind != kind:
            raise TicketRefused("wrong_console", "This console ticket is for another console: open this one again.")
        now = timezone.now()
        # One conditional UPDATE, so two sockets racing with one ticket cannot both win.
        used = self.filter(pk=ticket.pk, used__isnull=True, expires__gte=now).update(used=now)
        if used:
            return ticket
        if ticket.used is not None:
            raise TicketRefused("reused", "This console ticket was used already: each opens one console once.")
        raise TicketRefused("expired", "This console ticket expired (they last 30 seconds): open the console again.")


class ConsoleTicket(models.Model):
    token_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=KINDS)
    created = models.DateTimeField()
    expires = models.DateTimeField()
    used = models.DateTimeField(null=True, blank=True)

    objects = ConsoleTicketQuerySet.as_manager()

    class Meta:
        # Born in the site's app; the table kept its name when the model moved to its feature.
        db_table = "console_consoleticket"

    def __str__(self):
        return f"{self.kind} ticket for {self.domain} ({'used' if self.used else 'unused'})"
