"""Every change the console makes is written here, successful or not: an append-only, hash-chained log."""

import functools
import json
import logging
import threading
import time
import uuid as uuid_module
from dataclasses import dataclass

from django.db import IntegrityError, OperationalError, connection, models, transaction
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.utils.dateparse import parse_datetime
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.access import audit_anchor, permissions
from domains.access.models import GENESIS_HASH, AuditEntry
from domains.access.redaction import redact
from domains.errors import ConsoleError
from domains.lifecycle.models import Domain
from domains.words import kept

log = logging.getLogger("virtconsole.audit")

_RETRIES = 20
# In-process writers queue here instead of racing for the chain's tip.
_write_lock = threading.Lock()

# PostgreSQL stores no NUL character in text or JSON (SQLite does): an entry shows one as SYMBOL FOR NULL, so a
# request holding one (a monitor command, a filter) is recorded, the same way on both, instead of failing.
NUL_SHOWN_AS = "\u2400"
ACTION_LENGTH = AuditEntry._meta.get_field("action").max_length


def _storable(value):
    """value with every NUL character in its strings (keys too) shown as NUL_SHOWN_AS."""
    if isinstance(value, str):
        return value.replace("\x00", NUL_SHOWN_AS)
    if isinstance(value, dict):
        return {_storable(key): _storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_storable(item) for item in value]
    return value


def _plain(params):
    """params as plain JSON (what the database will give back), so the hash is over what is stored."""
    if params is None:
        return {}
    if not isinstance(params, dict):
        params = {"value": params}
    return _storable(json.loads(json.dumps(redact(params), default=str)))


def _chain_tip():
    """The newest entry's hash, or None in an empty log."""
    with connection.cursor() as cursor:
        cursor.execute(_statements()[0])
        row = cursor.fetchone()
    return row[0] if row else None


def _append(entry):
    """INSERT entry, setting its id.

    The same row Model.save writes, by SQL made once: the ORM compiled the tip's query and the insert anew for every
    entry, 0.3 ms of each, and a monitor command writes two (benchmarks/monitor_passthrough.py).
    """
    fields = _insert_fields()
    values = [field.get_db_prep_save(field.pre_save(entry, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(_statements()[1], values)
        entry.pk = cursor.fetchone()[0]
    entry._state.adding = False
    entry._state.db = connection.alias


@functools.cache
def _insert_fields():
    return tuple(field for field in AuditEntry._meta.concrete_fields if not field.primary_key)


@functools.cache
def _statements():
    """(the tip's SELECT, the INSERT returning the id) for AuditEntry's table, in the database's quoting."""
    quote, meta = connection.ops.quote_name, AuditEntry._meta
    table, key = quote(meta.db_table), quote(meta.pk.column)
    columns = ", ".join(quote(field.column) for field in _insert_fields())
    placeholders = ", ".join(["%s"] * len(_insert_fields()))
    return (f"SELECT {quote(meta.get_field('hash').column)} FROM {table} ORDER BY {key} DESC LIMIT 1",
            f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) RETURNING {key}")


def _target_fields(target):
    if target is None:
        return "", "", ""
    if isinstance(target, models.Model):
        return target._meta.model_name, str(target.pk), str(target)[:300]
    return type(target).__name__.lower(), "", str(target)[:300]


def _actor_fields(actor):
    if actor is None:
        return "system", None
    if isinstance(actor, str):
        return actor[:150], None
    if not getattr(actor, "is_authenticated", False):
        return "anonymous", None
    return actor.get_username()[:150], actor


def record(actor, action, target=None, params=None, outcome="ok", source_address=None, *, label=None, anchor=True):
    """Write one audit entry; target is a Domain, Host, other model row or None; returns the AuditEntry.

    actor is a user, a username string (failed logins) or None (the console itself).
    Parameters whose names say secret (password, token, key, ...) are stored as "[redacted]".
    anchor=False leaves the anchor where it is: an entry the very next one will anchor (an intent);
    anchor=LATER moves it on the anchor's own thread, so the caller does not wait for the disk.
    """

    actor_name, actor_row = _actor_fields(actor)
    target_type, target_id, target_label = _target_fields(target)
    parameters, action = _plain(params), _storable(action)
    if len(action) > ACTION_LENGTH:
        # A refusal's action names the request's path, which can be longer than the column (PostgreSQL
        # refuses the write, SQLite stored it whole): the entry keeps the whole action in its parameters.
        parameters["action"], action = action, action[:ACTION_LENGTH]
    entry_fields = dict(
        actor_name=_storable(actor_name), actor=actor_row, action=action, target_type=target_type,
        target_id=target_id, target_label=_storable(label if label is not None else target_label),
        parameters=parameters, outcome=_storable(kept(outcome)), source_address=str(source_address or "")[:100],
    )
    with _write_lock:
        for _attempt in range(_RETRIES):
            try:
                # A savepoint: a lost race must not spoil the caller's transaction.
                with transaction.atomic():
                    entry = AuditEntry(prev_hash=_chain_tip() or GENESIS_HASH, **entry_fields)
                    entry.hash = entry.compute_hash()
                    _append(entry)
            except IntegrityError:
                continue  # another process extended the chain first: build on its entry
            except OperationalError as exc:
                # SQLite's shared-cache mode (Django's in-memory test database) answers "table is
                # locked" at once instead of waiting as a file database does; the other thread's
                # write (libvirt event sync) is done within milliseconds.
                if "locked" not in str(exc):
                    raise
                time.sleep(0.05)
                continue
            log.info("audit actor=%s action=%s target=%s outcome=%s from=%s",
                     actor_name, action, entry.target_label, entry.outcome, entry.source_address)
            # After the commit (at once outside a transaction): an entry rolled back with its
            # caller's transaction must not become the anchor.
            if anchor is LATER:
                transaction.on_commit(lambda: audit_anchor.advance_soon(entry))
            elif anchor:
                transaction.on_commit(lambda: _anchor(entry))
            return entry
    raise RuntimeError(f"Could not append '{action}' to the audit log after {_RETRIES} tries: "
                       "the database keeps refusing the chain's next link; check it is writable.")


INTENT = "started"
LATER = "later"


def record_intent(actor, action, target=None, params=None, source_address=None):
    """Write and commit an entry saying action is about to be tried (outcome "started"); returns it.

    For calls that can take the process down (a monitor command into the in-process
    QEMU driver): the entry is committed before the call, so a crash still leaves it.
    The outcome follows as its own entry, naming this one in its "intent" parameter.
    The anchor moves once for the pair, after the outcome and off the caller's
    thread (its file and the database's log are flushed to disk each time it
    moves): if the process dies first, the next entry written anchors past them.
    """
    if not transaction.get_autocommit():
        # Inside a caller's transaction the entry is not on disk until that commits.
        log.warning("audit intent for %s is written inside an open transaction: a crash would lose it", action)
    return record(actor, action, target, params, outcome=INTENT, source_address=source_address, anchor=False)


def record_outcome(intent, actor, target, outcome, params=None, source_address=None):
    """Write the outcome of the action intent announced (on the same target), pointing back at it."""
    return record(actor, intent.action, target, {**(params or {}), "intent": intent.pk}, outcome=outcome,
                  source_address=source_address, anchor=LATER)


def _anchor(entry):

    try:
        audit_anchor.advance(entry)
    except OSError as exc:
        log.error("audit anchor not written (%s): verify_audit will report the entries after the last one", exc)


def require(user, permission, target, action, params=None, source_address=None, outcome="denied"):
    """permissions.require, with a refusal audited as this action; the request handlers then skip theirs."""
    try:
        permissions.require(user, permission, target)
    except permissions.PermissionDenied as refusal:
        record_denied(user, action, target, params, refusal, source_address, outcome)
        raise


def record_denied(user, action, target, params, refusal, source_address=None, outcome="denied"):
    """Audit refusal as action, and mark it so it is not audited a second time."""
    record(user, action, target, params, outcome=outcome, source_address=source_address)
    refusal.audited = True


def record_refusal(request, refusal):
    """Audit a PermissionDenied that reached a page or API handler, unless its action already did."""
    if getattr(refusal, "audited", False):
        return
    user = request.user if getattr(request, "user", None) is not None and request.user.is_authenticated else None
    record(user, f"refused {request.method} {request.path}", refusal.target, {"permission": refusal.permission},
           outcome="denied", source_address=request.META.get("REMOTE_ADDR"))
    refusal.audited = True


NOT_FOUND = "not found"


def record_not_found(request, exc):
    """Audit a 404 answered to a signed-in user (a hidden object answers 404 as a missing one does), once."""
    if getattr(exc, "audited", False):
        return
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return
    record(user, f"refused {request.method} {request.path}", None, {}, outcome=NOT_FOUND,
           source_address=request.META.get("REMOTE_ADDR"))
    exc.audited = True


@dataclass
class BrokenLink:
    entry_id: int
    problem: str


def verify_chain(batch=2000):
    """Walk the log oldest first; return (entries checked, the first BrokenLink or None)."""

    expected_prev = GENESIS_HASH
    checked = 0
    last_id = 0
    while True:
        rows = list(AuditEntry.objects.filter(id__gt=last_id).order_by("id")[:batch])
        if not rows:
            return checked, None
        for entry in rows:
            if entry.prev_hash != expected_prev:
                return checked, BrokenLink(entry.id, f"its prev_hash {entry.prev_hash[:12]}… does not match the "
                                                     f"previous entry's hash {expected_prev[:12]}…: an entry "
                                                     "before it was removed or changed")
            if entry.compute_hash() != entry.hash:
                return checked, BrokenLink(entry.id, "its content does not match its hash: it was changed "
                                                     "after it was written")
            expected_prev = entry.hash
            checked += 1
            last_id = entry.id


def verify_anchor():
    """The BrokenLink the anchor outside the database shows (newest entries removed, a range re-hashed), or None."""

    audit_anchor.settle()  # anchor writes this process queued come first
    checkpoint, problem = audit_anchor.check(AuditEntry)
    if problem is None:
        return None
    newest = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    return BrokenLink(checkpoint.entry_id if checkpoint else newest,
                      f"the anchor outside the database says: {problem.rstrip('.')}")


class AuditFilterError(ConsoleError):
    """A filter value that cannot be used; message says which and what would work."""

    code = "invalid"

    def __init__(self, message, field):
        super().__init__(message, fields={field: [message]})
        self.field = field


def visible_entries(user):
    """Entries user may read: all with 'read' everywhere; else those about domains and hosts they may read, and their own."""

    rows = AuditEntry.objects.all()
    held = permissions.held_by(user)
    if held.everything or "read" in held.everywhere:
        return rows
    if not getattr(user, "is_authenticated", False):
        return rows.none()
    readable_domains = (permissions.restrict(Domain.objects.all(), user, "read")
                        .annotate(key=Cast("pk", CharField())).values("key"))
    readable_hosts = [str(host_id) for host_id in held.hosts_holding("read")]
    return rows.filter(Q(target_type="domain", target_id__in=readable_domains)
                       | Q(target_type="host", target_id__in=readable_hosts)
                       | Q(actor_id=user.pk))


FILTERS = ("actor", "action", "domain", "host", "outcome", "since", "until")


def filter_entries(rows, params):
    """rows narrowed by the query parameters in params (see FILTERS); AuditFilterError for a bad value."""

    if params.get("actor"):
        rows = rows.filter(actor_name=params["actor"])
    if params.get("action"):
        rows = rows.filter(action__startswith=params["action"])
    if params.get("outcome"):
        rows = rows.filter(outcome__startswith=params["outcome"])
    if any("\x00" in str(params.get(name) or "") for name in ("actor", "action", "outcome")):
        # No entry holds a NUL character, and PostgreSQL refuses to compare one at all (a 500).
        rows = rows.none()
    if params.get("domain"):
        try:
            wanted = uuid_module.UUID(str(params["domain"]))
        except ValueError:
            raise AuditFilterError(format_lazy(_("domain={value} is not a domain UUID."),
                                               value=repr(params["domain"])), "domain") from None
        ids = [str(pk) for pk in Domain.objects.filter(uuid=wanted).values_list("pk", flat=True)]
        rows = rows.filter(target_type="domain", target_id__in=ids)
    if params.get("host"):
        host = str(params["host"])
        if not (host.isascii() and host.isdigit()):
            raise AuditFilterError(format_lazy(_("host={host} is not a host id (a whole number)."), host=repr(host)),
                                   "host")
        ids = []
        if int(host) < 2**63:  # past the largest id no host has it, and SQLite cannot even compare it (a 500)
            ids = [str(pk) for pk in Domain.objects.filter(host_id=int(host)).values_list("pk", flat=True)]
        rows = rows.filter(Q(target_type="host", target_id=host) | Q(target_type="domain", target_id__in=ids))
    for name, lookup in (("since", "time__gte"), ("until", "time__lt")):
        if params.get(name):
            when = parse_datetime(str(params[name]))
            if when is None:
                raise AuditFilterError(format_lazy(_("{name}={value} is not a date and time: use ISO 8601, e.g. "
                                                     "2026-11-25T18:00:00Z."), name=name, value=repr(params[name])),
                                       name)
            rows = rows.filter(**{lookup: when})
    return rows
