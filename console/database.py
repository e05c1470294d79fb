"""One idle SQLite connection per database file, held for the process's life, so closing a connection is cheap.

Django opens and closes a connection per socket command and per stretch of work of the event, job and keeper
threads (CONN_MAX_AGE=0; requests' pooled threads keep theirs, console/request_threads.py). In WAL mode SQLite
makes the last connection to close checkpoint the whole log into the database, wait for the disk (fdatasync)
and delete the log and its shared-memory file; the next one creates them again.
On a console nobody else is using, every request was that last connection: a monitor command waited for
the disk four times (measured with strace: about 4.4 fdatasync per command, 0.1 with a connection held).
A held connection that has read once counts as open, so closes stay cheap; commits then checkpoint by
SQLite's own measure (every 1,000 pages of log). It holds no transaction, so it blocks neither writers
nor checkpoints. PostgreSQL connections are untouched.
"""

import sqlite3
import threading

_held = {}
_held_lock = threading.Lock()


def hold_wal_open(sender, connection, **kwargs):
    """connection_created receiver: open the idle connection to this SQLite file, once per file."""
    if connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:") or name in _held:
        return  # an in-memory database has no log to keep
    with _held_lock:
        if name in _held:
            return
        held = sqlite3.connect(name, check_same_thread=False)
        # A connection joins the log's shared memory at its first read; until then it does not count as open.
        held.execute("SELECT count(*) FROM sqlite_master").fetchall()
        _held[name] = held
