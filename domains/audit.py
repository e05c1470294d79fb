"""Every change the console makes is written here, successful or not: an append-only, hash-chained log."""

import json
import logging
import re
import threading
from dataclasses import dataclass

from django.db import IntegrityError, models, transaction

log = logging.getLogger("virtconsole.audit")

REDACTED = "[redacted]"
# Whole words of a parameter name that mark its value as a secret:
# "password", "vnc_password", "apiKey", "ssh-key" are redacted; "keys" and "keep_nvram" are not.
SECRET_WORDS = {"password", "passwd", "secret", "token", "key", "passphrase", "credential", "credentials"}
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_RETRIES = 20
# In-process writers queue here instead of racing for the chain's tip.
_write_lock = threading.Lock()


def _is_secret(name):
    return any(word.lower() in SECRET_WORDS for word in _WORD.findall(str(name)))


def redact(value):
    """A copy of value (dicts, lists, scalars) with the values of secret-named keys replaced."""
    if isinstance(value, dict):
        return {str(k): REDACTED if _is_secret(k) else redact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(item) for item in value]
    return value


def _plain(params):
    """params as plain JSON (what the database will give back), so the hash is over what is stored."""
    if params is None:
        return {}
    if not isinstance(params, dict):
        params = {"value": params}
    return json.loads(json.dumps(redact(params), default=str))


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


def record(actor, action, target=None, params=None, outcome="ok", source_address=None, *, label=None):
    """Write one audit entry; target is a Domain, Host, other model row or None; returns the AuditEntry.

    actor is a user, a username string (failed logins) or None (the console itself).
    Parameters whose names say secret (password, token, key, ...) are stored as "[redacted]".
    """
    from domains.access_models import GENESIS_HASH, AuditEntry

    actor_name, actor_row = _actor_fields(actor)
    target_type, target_id, target_label = _target_fields(target)
    entry_fields = dict(
        actor_name=actor_name, actor=actor_row, action=action, target_type=target_type, target_id=target_id,
        target_label=label if label is not None else target_label, parameters=_plain(params),
        outcome=str(outcome), source_address=str(source_address or "")[:100],
    )
    with _write_lock:
        for _attempt in range(_RETRIES):
            tip = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first()
            entry = AuditEntry(prev_hash=tip or GENESIS_HASH, **entry_fields)
            entry.hash = entry.compute_hash()
            try:
                # A savepoint: a lost race must not spoil the caller's transaction.
                with transaction.atomic():
                    entry.save()
            except IntegrityError:
                continue  # another process extended the chain first: build on its entry
            log.info("audit actor=%s action=%s target=%s outcome=%s from=%s",
                     actor_name, action, entry.target_label, entry.outcome, entry.source_address)
            return entry
    raise RuntimeError(f"Could not append '{action}' to the audit log after {_RETRIES} tries: "
                       "the database keeps refusing the chain's next link; check it is writable.")


@dataclass
class BrokenLink:
    entry_id: int
    problem: str


def verify_chain(batch=2000):
    """Walk the log oldest first; return (entries checked, the first BrokenLink or None)."""
    from domains.access_models import GENESIS_HASH, AuditEntry

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
