"""The websocket protocol virtconsole.v1 as data: routes, close codes and the message catalogue.

The catalogue only ever grows: a message type is never removed and never
changes meaning; a new field may be added to a message, never taken away.
docs/websocket-protocol.md documents every entry here, and a test checks that.
"""

from dataclasses import dataclass

SUBPROTOCOL = "virtconsole.v1"
# noVNC speaks raw RFB in binary frames and asks for this subprotocol.
NOVNC_SUBPROTOCOL = "binary"

SERVER = "server to client"
CLIENT = "client to server"

ROUTES = {
    "/ws/v1/events": "Pushed domain and host events and live stats (JSON text frames).",
    "/ws/v1/domains/{uuid}/serial?ticket=…": "Serial console: raw bytes in binary frames both ways, JSON control messages.",
    "/ws/v1/domains/{uuid}/vnc?ticket=…": "Graphical console: raw RFB in binary frames both ways (noVNC speaks it as is).",
}

# Close codes in the 4000-4999 range websockets leave to applications.
CLOSE_CODES = {
    4000: "The session ended normally (domain stopped, console taken over, or the user closed it).",
    4001: "Not signed in, or the session ended (logged out).",
    4003: "Refused: the ticket is forged, reused, expired, another user's or another console's, or the "
          "user lacks (or lost) the permission.",
    4004: "No such domain, or the user may not see it.",
    4009: "The console is held by another session and the user may not take it over.",
    4010: "The console could not be opened; the error message says why.",
}


@dataclass(frozen=True)
class Message:
    type: str
    direction: str
    sockets: tuple
    fields: dict
    meaning: str


EVENTS = ("events",)
SERIAL = ("serial",)
CONSOLES = ("serial", "vnc")
ALL = ("events", "serial", "vnc")

_DOMAIN = {"host": "host id", "uuid": "domain UUID", "name": "domain name"}

MESSAGES = [
    Message("hello", SERVER, ALL, {"protocol": "virtconsole.v1", "user": "user name"},
            "First message on a virtconsole.v1 socket once it is accepted."),
    Message("error", SERVER, ALL, {"code": "machine-readable reason", "message": "what went wrong and what to do"},
            "A request was refused or failed; on a console socket a close follows."),
    Message("subscribe", CLIENT, EVENTS, {"domains": "list of domain UUIDs", "hosts": "list of host ids"},
            "Receive the events of these domains, and of every domain the user may see on these hosts."),
    Message("unsubscribe", CLIENT, EVENTS, {"domains": "list of domain UUIDs", "hosts": "list of host ids"},
            "Stop receiving the events of these domains and hosts."),
    Message("subscribed", SERVER, EVENTS,
            {"domains": "UUIDs now subscribed", "hosts": "host ids now subscribed",
             "refused": "UUIDs or host ids the user may not see (or that do not exist)"},
            "Answer to subscribe and unsubscribe: the socket's whole subscription."),
    Message("watch_stats", CLIENT, EVENTS,
            {"domains": "list of domain UUIDs on screen now (replaces the last list)",
             "stats": "optional list of the figures shown: cpu, memory, disk, net (all four when absent); the "
                      "server asks libvirt only for these, and the others come as null"},
            "Send live stats for these domains every 2 s; an empty list stops them."),
    Message("domain.stats", SERVER, EVENTS,
            {"host": "host id", "interval": "seconds between samples",
             "domains": "list of {uuid, state, vcpus, memory_kib, max_memory_kib, cpu_percent, disk_read_bps, "
                        "disk_write_bps, net_rx_bps, net_tx_bps}; rates are null on the first sample"},
            "Live stats of the watched domains of one host, from one bulk call per host per tick."),
    Message("domain.lifecycle", SERVER, EVENTS, {**_DOMAIN, "event": "started, stopped, suspended, …",
                                                  "detail": "booted, destroyed, paused, …"},
            "libvirt's lifecycle event, with its detail, in words."),
    Message("domain.reboot", SERVER, EVENTS, _DOMAIN, "The guest rebooted."),
    Message("domain.graphics", SERVER, EVENTS,
            {**_DOMAIN, "phase": "connect, initialize or disconnect", "auth_scheme": "VNC/SPICE auth scheme",
             "local": "local address {family, node, service}", "remote": "client address {family, node, service}"},
            "A graphics client connected to or left the domain's display."),
    Message("domain.device_added", SERVER, EVENTS, {**_DOMAIN, "device": "device alias"},
            "A device was hot-plugged."),
    Message("domain.device_removed", SERVER, EVENTS, {**_DOMAIN, "device": "device alias"},
            "A device was hot-unplugged."),
    Message("domain.device_removal_failed", SERVER, EVENTS, {**_DOMAIN, "device": "device alias"},
            "The guest refused to release a device whose hot-unplug was asked for; it stays plugged in."),
    Message("domain.block_job", SERVER, EVENTS,
            {**_DOMAIN, "disk": "disk target or path", "job": "pull, copy, commit, active_commit, backup",
             "status": "completed, failed, canceled or ready"},
            "A block job changed state."),
    Message("domain.tunable", SERVER, EVENTS, {**_DOMAIN, "params": "the changed tunables, name to value"},
            "CPU, block I/O or other tunables changed."),
    Message("domain.metadata_change", SERVER, EVENTS,
            {**_DOMAIN, "metadata": "description, title or element", "namespace": "element namespace URI or ''"},
            "The domain's title, description or custom metadata changed."),
    Message("domain.agent_lifecycle", SERVER, EVENTS,
            {**_DOMAIN, "state": "connected or disconnected", "reason": "domain_started, channel or unknown"},
            "The guest agent came up or went away."),
    Message("host.health", SERVER, EVENTS,
            {"host": "host id", "state": "connected, reconnecting, failed or disconnected",
             "message": "why, in libvirt's words"},
            "The console's connection to a host changed state."),
    Message("pool.lifecycle", SERVER, EVENTS,
            {"host": "host id", "pool": "pool UUID", "name": "pool name",
             "event": "defined, undefined, started, stopped, created, deleted or refreshed",
             "state": "inactive, building, running, degraded or inaccessible (absent once the pool is gone)",
             "capacity": "bytes (absent once the pool is gone)", "allocation": "bytes (absent once gone)",
             "available": "bytes (absent once gone)", "volumes": "volume count, null while inactive (absent once gone)"},
            "A storage pool on a subscribed host changed or was refreshed; sent to users who may see the pool "
            "(storage_pool.getattr)."),
    Message("network.lifecycle", SERVER, EVENTS,
            {"host": "host id", "network": "network UUID", "name": "network name",
             "event": "defined, undefined, started or stopped", "gone": "true once libvirt no longer has the network",
             "active": "running now (absent once gone)", "persistent": "defined to stay (absent once gone)",
             "autostart": "starts with the daemon (absent once gone)"},
            "A virtual network on a subscribed host was defined, undefined, started or stopped; sent to users who may "
            "see the network (network.getattr)."),
    Message("job", SERVER, EVENTS,
            {"job": "the job as GET /api/v1/jobs/{id} shows it: id, kind, state, progress {done, total, unit}, "
                    "rate, target {type, id, label, host}, user, created, started, ended, error, result, "
                    "cancellable, cancel_requested"},
            "A job the user may see started, progressed (at most a few times a second) or ended; every events "
            "socket receives these without subscribing."),
    Message("resize", CLIENT, SERIAL, {"cols": "columns", "rows": "rows"},
            "The terminal's size changed. A serial line carries no window size: the server records it and "
            "answers nothing; run `stty cols C rows R` in the guest to match."),
    Message("console.opened", SERVER, CONSOLES, {"domain": "domain UUID", "kind": "serial or vnc",
                                                  "took_over": "true if another session was pushed off"},
            "The console is open; binary frames carry its bytes from now on."),
    Message("console.closed", SERVER, CONSOLES,
            {"reason": "domain_stopped, taken_over, logged_out, permission_lost, error or closed",
             "message": "the same, in words"},
            "The console ended; the socket closes with code 4000 right after."),
]

MESSAGE_TYPES = {message.type: message for message in MESSAGES}

# The codes an `error` message carries (append-only as the messages are). The
# socket stays open after those marked "stays open"; a refusal closes it.
ERROR_CODES = {
    "bad_json": "The text frame is not a JSON object with a 'type'; the socket stays open.",
    "unknown_message": "The message type is not one this socket knows; the socket stays open.",
    "message_too_large": "The text frame is longer than the socket accepts (128 KiB; the QEMU monitor 1 MiB); "
                         "it was ignored and the socket stays open.",
    "message_too_deep": "The JSON nests lists or objects more than 16 deep; it was ignored and the socket stays open.",
    "too_many": "The subscription would pass 2,000 domains; the socket stays open.",
    "input_too_large": "A serial input frame is over 64 KiB; it was dropped and the console stays open.",
    "input_backlog": "The guest has not read 256 KiB of earlier serial input yet; input is dropped (told once) "
                     "until it has, and the console stays open.",
    "not_found": "No such domain, or the user may not see it (close 4004).",
    "permission_denied": "The user lacks the permission the message names (close 4003).",
    "ticket_forged": "The console ticket is not one the server issued (close 4003).",
    "ticket_reused": "The console ticket was used already (close 4003).",
    "ticket_expired": "The console ticket is older than 30 seconds (close 4003).",
    "ticket_wrong_user": "The console ticket was issued to another user (close 4003).",
    "ticket_wrong_console": "The console ticket is for another domain or console kind (close 4003).",
    "console_busy": "Someone else holds the console (close 4009).",
    "console_failed": "The console could not be opened; the message says why (close 4010).",
    "logged_out": "The session ended: the user logged out, was deactivated or deleted, or the session was deleted "
                  "(close 4001).",
    "permission_lost": "A grant was revoked and the socket may no longer show this (events: trimmed; "
                       "consoles: closed).",
    "events_gap": "The console's processes lost touch with each other for a moment (Redis restarted), so events "
                  "may have been missed: the events socket closes (close 4000); reconnect and read the state afresh.",
}

