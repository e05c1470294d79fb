"""The audit log's anchor outside the database: a signed checkpoint of its newest entry, in a file and the log.

The hash chain alone shows a changed or removed entry in the middle of the log;
it cannot show that the newest entries were removed, or that a range was
rewritten and re-hashed to the end. The anchor can: it names the newest entry
(id and hash) and is signed with a key the database does not hold, so
verify_audit finds the anchored entry gone or different.
"""

import fcntl
import hashlib
import hmac
import json
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

log = logging.getLogger("virtconsole.audit.anchor")


@dataclass(frozen=True)
class Checkpoint:
    entry_id: int
    entry_hash: str
    written: str
    signature: str = ""

    def payload(self):
        return json.dumps({"entry_id": self.entry_id, "entry_hash": self.entry_hash, "written": self.written},
                          sort_keys=True, separators=(",", ":")).encode()


class AnchorProblem(Exception):
    """The anchor file cannot be trusted or does not match the log; the message says which and what to do."""


def _key():
    configured = getattr(settings, "AUDIT_ANCHOR_KEY", "")
    secret = configured or settings.SECRET_KEY
    return hashlib.sha256(b"virtconsole.audit.anchor:" + secret.encode()).digest()


def sign(checkpoint):
    signature = hmac.new(_key(), checkpoint.payload(), hashlib.sha256).hexdigest()
    return Checkpoint(checkpoint.entry_id, checkpoint.entry_hash, checkpoint.written, signature)


def _path():
    return settings.AUDIT_ANCHOR_PATH


def read(path=None):
    """The checkpoint in the anchor file, its signature checked; None when there is no file yet."""
    path = path or _path()
    try:
        raw = path.read_text()
    except FileNotFoundError:
        return None
    try:
        data = json.loads(raw)
        stored = Checkpoint(int(data["entry_id"]), str(data["entry_hash"]), str(data["written"]),
                            str(data["signature"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise AnchorProblem(f"The audit anchor {path} is not a checkpoint ({exc}): it was damaged or replaced.") \
            from None
    if not hmac.compare_digest(sign(stored).signature, stored.signature):
        raise AnchorProblem(f"The audit anchor {path} has a wrong signature: it was forged or the anchor key "
                            "(VIRTCONSOLE_AUDIT_ANCHOR_KEY, else SECRET_KEY) changed.")
    return stored


def _still_there(checkpoint, entry_model):
    return entry_model.objects.filter(pk=checkpoint.entry_id, hash=checkpoint.entry_hash).exists()


def _database_on_disk():
    """Flush SQLite's write-ahead log to disk, so the anchor never names an entry a power cut could take back.

    Commits do not wait for the disk (synchronous=NORMAL, console/settings.py): the anchor, which does,
    would otherwise outlive the entries it names and make verify_audit cry tampering after a power cut.
    PostgreSQL's commits are on disk already.
    """
    if connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict["NAME"])
    try:
        descriptor = os.open(f"{name}-wal", os.O_RDONLY)
    except FileNotFoundError:
        return  # in memory (tests), or no log yet: nothing to flush
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def advance(entry, path=None):
    """Anchor entry (just appended) as the newest, unless the current anchor no longer matches the log.

    A mismatch means entries were removed or rewritten: the old anchor is kept,
    so verify_audit reports it instead of a fresh checkpoint hiding it.
    """
    _database_on_disk()
    path = path or _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{path}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            current = read(path)
        except AnchorProblem as exc:
            log.error("audit anchor not advanced: %s", exc)
            return None
        if current is not None:
            if current.entry_id >= entry.pk:
                return current  # a later entry of another process is anchored already
            if not _still_there(current, type(entry)):
                log.error("audit anchor not advanced: anchored entry %s is gone or changed; run verify_audit",
                          current.entry_id)
                return current
        checkpoint = sign(Checkpoint(entry.pk, entry.hash, timezone.now().isoformat(timespec="seconds")))
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "w") as out:
            out.write(json.dumps({**json.loads(checkpoint.payload()), "signature": checkpoint.signature}))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    # Also to the log, which a deployment ships off the machine: a second copy the database cannot reach.
    log.info("audit checkpoint entry=%s hash=%s signature=%s", checkpoint.entry_id, checkpoint.entry_hash,
             checkpoint.signature)
    return checkpoint


def check(entry_model):
    """(checkpoint or None, AnchorProblem message or None): whether the log still holds the anchored entry."""
    try:
        checkpoint = read()
    except AnchorProblem as exc:
        return None, str(exc)
    if checkpoint is None:
        if entry_model.objects.exists():
            return None, (f"There is no audit anchor at {_path()} although the log has entries: the anchor was "
                          "removed, or the log was written without one (set VIRTCONSOLE_AUDIT_ANCHOR).")
        return None, None
    row = entry_model.objects.filter(pk=checkpoint.entry_id).values_list("hash", flat=True).first()
    if row is None:
        return checkpoint, (f"Entry {checkpoint.entry_id}, anchored on {checkpoint.written}, is missing: entries "
                            "were removed from the end of the log.")
    if row != checkpoint.entry_hash:
        return checkpoint, (f"Entry {checkpoint.entry_id} no longer has the hash anchored on {checkpoint.written}: "
                            "the log was rewritten and re-hashed up to it.")
    return checkpoint, None


# --- anchoring off the caller's thread (the outcome of a monitor or agent command) ---

# Seconds the anchor's thread rests after each write; what is appended meanwhile is anchored once, at the newest.
# Each write flushes the database's log and the anchor file to disk: one per monitor command made the next command
# wait for the disk, 1.7 ms of its 5.8 (benchmarks/monitor_passthrough.py).
REST_SECONDS = 0.2

_soon_lock = threading.Lock()
_soon = {}  # anchor path -> newest entry waiting to be anchored there
_anchor_writer = None
_hurry = threading.Event()  # set while settle() waits: no rest


def advance_soon(entry):
    """advance(entry) on the anchor's own thread, so the caller does not wait for the disk.

    Entries waiting together are anchored once, at the newest. If the process
    ends first, the next entry written anchors past them.
    """
    global _anchor_writer
    path = _path()  # now: tests switch the file between tests
    with _soon_lock:
        waiting = _soon.get(path)
        _soon[path] = entry if waiting is None or entry.pk > waiting.pk else waiting
        if waiting is not None:
            return  # a write for this file is queued already and will take the newest
        if _anchor_writer is None:
            _anchor_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit-anchor")
    _anchor_writer.submit(_advance_waiting, path)


def _advance_waiting(path):
    with _soon_lock:
        entry = _soon.pop(path, None)
    if entry is None:
        return
    try:
        advance(entry, path)
    except (OSError, DatabaseError) as exc:
        log.error("audit anchor not written (%s): verify_audit will report the entries after the last one", exc)
    finally:
        close_old_connections()
    _hurry.wait(REST_SECONDS)


def settle(timeout=10.0):
    """Return once the anchor writes queued so far are done, without rests (tests, and before verifying)."""
    with _soon_lock:
        writer = _anchor_writer
    if writer is not None:
        _hurry.set()
        try:
            writer.submit(lambda: None).result(timeout)
        finally:
            _hurry.clear()
