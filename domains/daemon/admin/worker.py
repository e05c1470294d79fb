"""The admin worker process: holds one DirectAdminConnection and answers JSON-line requests on stdin.

Run by connection.py's AdminConnection as `python -m domains.daemon.admin.worker URI`
(URI "" for libvirt's default). It must never open a libvirt.so connection:
see direct.py for why. Protocol, one JSON object per line:

    request   {"id": 1, "method": "thread_pool", "args": ["libvirtd"], "kwargs": {}}
    answer    {"id": 1, "result": ...}   or   {"id": 1, "error": {"kind": "VirtError", "message": ..., "code": ...}}
    event     {"event": "closed", "reason": "eof"}

The first answer (id 0) says whether the connection opened.
"""

import json
import os
import sys
import threading

import libvirt

from domains.daemon.admin.direct import DirectAdminConnection
from domains.daemon.admin.types import to_wire
from domains.libvirt.adapter import VirtError

METHODS = frozenset(
    {
        "is_alive",
        "uri",
        "daemon_version",
        "list_servers",
        "thread_pool",
        "set_thread_pool",
        "client_limits",
        "set_client_limits",
        "update_tls_files",
        "clients",
        "client",
        "disconnect_client",
        "logging_filters",
        "logging_outputs",
        "set_logging_filters",
        "set_logging_outputs",
        "set_daemon_timeout",
    }
)


class Channel:
    """The protocol stream: the original stdout, kept away from anything a C library might print."""

    def __init__(self):
        self._out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
        os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
        self._lock = threading.Lock()

    def send(self, message):
        with self._lock:
            self._out.write(json.dumps(message) + "\n")
            self._out.flush()


def _error(exc):
    return {
        "kind": type(exc).__name__,
        "message": getattr(exc, "message", str(exc)),
        "code": getattr(exc, "code", None),
    }


def _run_event_loop():
    # The close callback fires from libvirt's event loop: without one, a dead
    # daemon would only be noticed at the next request.
    libvirt.virEventRegisterDefaultImpl()

    def run():
        while True:
            libvirt.virEventRunDefaultImpl()

    threading.Thread(target=run, name="libvirt-admin-events", daemon=True).start()


def answer(conn, request):
    method = request.get("method")
    if method not in METHODS:
        raise ValueError(f"the admin worker has no method {method!r}")
    if method == "uri":
        return conn.uri
    return to_wire(getattr(conn, method)(*request.get("args", []), **request.get("kwargs", {})))


def main(argv):
    channel = Channel()
    _run_event_loop()
    try:
        conn = DirectAdminConnection(argv[1] if len(argv) > 1 and argv[1] else None)
    except VirtError as exc:
        channel.send({"id": 0, "error": _error(exc)})
        return 1
    conn.on_close(lambda reason: channel.send({"event": "closed", "reason": reason}))
    channel.send({"id": 0, "result": None})
    try:
        for line in sys.stdin:
            request = json.loads(line)
            try:
                channel.send({"id": request.get("id"), "result": answer(conn, request)})
            except (VirtError, ValueError, TypeError) as exc:
                channel.send({"id": request.get("id"), "error": _error(exc)})
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
