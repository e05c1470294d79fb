"""The audit pages' filters in people's words (a username, a domain's or host's name, a date), and the entries'
actions and outcomes as readable words."""

import datetime
import uuid as uuid_module

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from domains.access import audit
from domains.access.lookups import seen_by
from domains.access.permissions import has_perm, restrict
from domains.errors import ConsoleError
from domains.hosts.models import Host
from domains.lifecycle.models import Domain

# What an outcome's first word means: (words, Bootstrap colour). The rest of an outcome ("refused: <why>") is its
# detail, shown as it was written.
OUTCOMES = {
    "ok": (gettext_lazy("Done"), "success"),
    "started": (gettext_lazy("Started"), "info"),
    "denied": (gettext_lazy("Refused: no permission"), "warning"),
    "refused": (gettext_lazy("Refused"), "warning"),
    "not found": (gettext_lazy("Not found"), "warning"),
    "invalid": (gettext_lazy("Invalid request"), "warning"),
    "locked out": (gettext_lazy("Locked out"), "danger"),
    "wrong username or password": (gettext_lazy("Wrong username or password"), "warning"),
    "failed": (gettext_lazy("Failed"), "danger"),
    "interrupted": (gettext_lazy("Interrupted"), "danger"),
    "cancelled": (gettext_lazy("Cancelled"), "secondary"),
}
# The outcome filter's choices: the first words entries start with.
OUTCOME_CHOICES = ["ok", "started", "denied", "refused", "failed", "not found", "interrupted", "cancelled"]

# What the first part of an action names ("domain.start": a domain), for actions without words of their own.
SUBJECTS = {
    "domain": gettext_lazy("Domain"), "host": gettext_lazy("Host"), "grant": pgettext_lazy("the thing an action applies to", "Grant"),
    "role": gettext_lazy("Role"), "user": gettext_lazy("User"), "group": gettext_lazy("Group"),
    "token": gettext_lazy("API token"), "password": gettext_lazy("Password"), "network": gettext_lazy("Network"),
    "network_port": gettext_lazy("Network port"), "storage_pool": gettext_lazy("Storage pool"),
    "pool": gettext_lazy("Storage pool"), "storage_vol": gettext_lazy("Volume"), "volume": gettext_lazy("Volume"),
    "nwfilter": gettext_lazy("Network filter"), "daemon": gettext_lazy("Daemon"), "qemu": gettext_lazy("QEMU"),
    "console": gettext_lazy("Console"), "job": gettext_lazy("Job"), "template": gettext_lazy("Template"),
    "install": gettext_lazy("Install"), "quota": gettext_lazy("Quota"), "interface": gettext_lazy("Interface"),
}
# Actions common enough to deserve their own words.
ACTIONS = {
    "login": gettext_lazy("Signed in"),
    "logout": gettext_lazy("Signed out"),
    "login.failed": gettext_lazy("Sign-in failed"),
    "grant.add": gettext_lazy("Granted a role"),
    "grant.revoke": gettext_lazy("Revoked a grant"),
    "role.define": gettext_lazy("Defined a role"),
    "user.create": gettext_lazy("Created a user"),
    "user.deactivate": gettext_lazy("Deactivated a user"),
    "user.reactivate": gettext_lazy("Reactivated a user"),
    "user.password": gettext_lazy("Set a user's password"),
    "password.change": gettext_lazy("Changed own password"),
    "group.create": gettext_lazy("Created a group"),
    "group.rename": gettext_lazy("Renamed a group"),
    "group.delete": gettext_lazy("Deleted a group"),
    "group.add_member": gettext_lazy("Added a group member"),
    "group.remove_member": gettext_lazy("Removed a group member"),
    "token.create": gettext_lazy("Created an API token"),
    "token.revoke": gettext_lazy("Revoked an API token"),
    "domain.start": gettext_lazy("Started a domain"),
    "domain.define": gettext_lazy("Changed a domain's definition"),
    "domain.create": gettext_lazy("Created a domain"),
    "domain.undefine": gettext_lazy("Deleted a domain"),
    "domain.lifecycle": gettext_lazy("Domain power action"),
    "console.opened": gettext_lazy("Opened a console"),
    "console.closed": gettext_lazy("Closed a console"),
    "host.add": gettext_lazy("Added a host"),
    "host.update": gettext_lazy("Changed a host"),
    "host.remove": gettext_lazy("Removed a host"),
}
# A few suggestions for the action filter (it matches the start of an action).
ACTION_SUGGESTIONS = ["domain.", "grant.", "user.", "group.", "login", "host.", "network.", "storage_pool.",
                      "console.", "qemu."]


def action_words(action):
    """An entry's action in words: "domain.snapshot_create" -> "Domain: snapshot create"."""
    if action in ACTIONS:
        return str(ACTIONS[action])
    if action.startswith("refused "):
        return _("Refused request: %(request)s") % {"request": action.removeprefix("refused ")}
    subject, _dot, verb = action.partition(".")
    if subject in SUBJECTS and verb:
        return f"{SUBJECTS[subject]}: {verb.replace('_', ' ').replace('.', ' ')}"
    return action.replace("_", " ")


def outcome_words(outcome):
    """(words, detail, colour) of an entry's outcome: "refused: in use" -> ("Refused", "in use", "warning")."""
    if outcome in OUTCOMES:
        words, colour = OUTCOMES[outcome]
        return str(words), "", colour
    head, _colon, detail = outcome.partition(":")
    head = head.split(" at ")[0].strip()  # "failed at define: ..." is a failure
    if head in OUTCOMES:
        words, colour = OUTCOMES[head]
        return str(words), (detail.strip() or outcome) if head != outcome else "", colour
    return outcome, "", "secondary"


class AuditFilters:
    """The filters of an audit page, as typed: values to show again, errors per field, and the narrowed rows.

    A name that matches nothing the user may read, or a date that is not one, is an error on its field rather than
    an empty result the user cannot tell from "nothing happened".
    """

    FIELDS = ("actor", "action", "outcome", "domain", "host", "since", "until")

    def __init__(self, user, query, domain=None):
        self.user = user
        self.domain = domain  # a domain's own audit page: no domain or host filter
        self.values = {name: str(query.get(name, "")).strip() for name in self.FIELDS}
        self.errors = {}

    @property
    def any(self):
        return any(self.values.values())

    def domain_names(self):
        """Names of the domains the user may read (for the domain field's suggestions)."""
        return (restrict(Domain.objects.filter(gone=False), self.user, "read")
                .order_by("name").values_list("name", flat=True).distinct()[:500])

    def host_names(self):
        return seen_by(self.user, Host).order_by("name").values_list("name", flat=True)[:200]

    def actor_names(self):
        """Names for the actor field's suggestions: every username to whoever may see the Users page, else one's own
        (the log itself is not scanned for them: actor_name has no index, and the log grows for ever)."""
        if has_perm(self.user, "manage_grants"):
            return ["system", *get_user_model().objects.order_by("username").values_list("username", flat=True)[:500]]
        return [self.user.get_username()]

    def apply(self, rows):
        """rows narrowed by every filter that holds; self.errors names the fields that do not."""
        values = self.values
        raw = {}
        if values["actor"]:
            if "\x00" in values["actor"] or not rows.filter(actor_name=values["actor"]).exists():
                self.errors["actor"] = _("No entry you may read was made by '%(name)s': pick a name from the "
                                         "list.") % {"name": values["actor"].replace("\x00", audit.NUL_SHOWN_AS)}
            raw["actor"] = values["actor"]
        for name in ("action", "outcome"):
            if values[name]:
                raw[name] = values[name]
        if values["domain"] and self.domain is None:
            rows = self._by_domain(rows, values["domain"])
        if values["host"] and self.domain is None:
            rows = self._by_host(rows, values["host"])
        since = self._moment("since", values["since"], end_of_day=False)
        until = self._moment("until", values["until"], end_of_day=True)
        if since and until and since >= until and "until" not in self.errors:
            self.errors["until"] = _("'Until' has to be after 'since'.")
        try:
            rows = audit.filter_entries(rows, raw)
        except ConsoleError as exc:  # filter_entries speaks of the fields it was given
            self.errors.setdefault(getattr(exc, "field", "action"), exc.message)
        if since:
            rows = rows.filter(time__gte=since)
        if until:
            rows = rows.filter(time__lt=until)
        return rows.none() if self.errors else rows

    def _by_domain(self, rows, typed):
        readable = restrict(Domain.objects.all(), self.user, "read")
        try:
            found = readable.filter(uuid=uuid_module.UUID(typed))
        except ValueError:
            found = readable.filter(name=typed)
        keys = [str(pk) for pk in found.values_list("pk", flat=True)]
        if not keys:
            self.errors["domain"] = _("There is no domain named '%(name)s' that you may read: pick one from the "
                                      "list.") % {"name": typed}
        return rows.filter(target_type="domain", target_id__in=keys)

    def _by_host(self, rows, typed):
        visible = seen_by(self.user, Host)
        found = visible.filter(name=typed).first()
        if found is None and typed.isascii() and typed.isdigit() and int(typed) < 2**63:
            found = visible.filter(pk=int(typed)).first()  # links made before names: ?host=<id>
        if found is None:
            self.errors["host"] = _("There is no host named '%(name)s' that you may see: pick one from the "
                                    "list.") % {"name": typed}
            return rows
        domain_keys = [str(pk) for pk in Domain.objects.filter(host=found).values_list("pk", flat=True)]
        return rows.filter(Q(target_type="host", target_id=str(found.pk))
                           | Q(target_type="domain", target_id__in=domain_keys))

    def _moment(self, name, typed, end_of_day):
        """The moment typed names: a date (its start; for "until", the start of the next day, so that day counts)
        or an ISO 8601 date and time; None when nothing was typed, with an error on name when it names no moment."""
        if not typed:
            return None
        try:
            day = parse_date(typed)
            moment = None if day else parse_datetime(typed)
        except ValueError:  # well formed, but no such day (2026-02-30)
            day = moment = None
        if day is not None:
            start = datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.timezone.utc)
            return start + datetime.timedelta(days=1) if end_of_day else start
        if moment is None:
            self.errors[name] = _("'%(value)s' is not a date and time: pick a date, e.g. 2026-11-25.") % {
                "value": typed}
            return None
        return moment if timezone.is_aware(moment) else timezone.make_aware(moment, datetime.timezone.utc)
