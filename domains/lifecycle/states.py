"""libvirt's domain states, state reasons and lifecycle events, in words."""

import libvirt

STATES = {
    libvirt.VIR_DOMAIN_NOSTATE: "nostate",
    libvirt.VIR_DOMAIN_RUNNING: "running",
    libvirt.VIR_DOMAIN_BLOCKED: "blocked",
    libvirt.VIR_DOMAIN_PAUSED: "paused",
    libvirt.VIR_DOMAIN_SHUTDOWN: "shutdown",
    libvirt.VIR_DOMAIN_SHUTOFF: "shutoff",
    libvirt.VIR_DOMAIN_CRASHED: "crashed",
    libvirt.VIR_DOMAIN_PMSUSPENDED: "pmsuspended",
}
ACTIVE_STATES = {"running", "blocked", "paused", "shutdown", "pmsuspended"}

# Reasons in the order of libvirt's enums (virDomainRunningReason etc.).
REASONS = {
    "nostate": ["unknown"],
    "running": ["unknown", "booted", "migrated", "restored", "from snapshot", "unpaused",
                "migration canceled", "save canceled", "wakeup", "crashed", "post-copy",
                "post-copy failed"],
    "blocked": ["unknown"],
    "paused": ["unknown", "user", "migration", "save", "dump", "I/O error", "watchdog",
               "from snapshot", "shutting down", "snapshot", "crashed", "starting up",
               "post-copy", "post-copy failed", "api error"],
    "shutdown": ["unknown", "user"],
    "shutoff": ["unknown", "shutdown", "destroyed", "crashed", "migrated", "saved", "failed",
                "from snapshot", "daemon"],
    "crashed": ["unknown", "panicked"],
    "pmsuspended": ["unknown"],
}

EVENTS = ["defined", "undefined", "started", "suspended", "resumed", "stopped", "shutdown",
          "pmsuspended", "crashed"]
EVENT_DETAILS = {
    "defined": ["added", "updated", "renamed", "from snapshot"],
    "undefined": ["removed", "renamed"],
    "started": ["booted", "migrated", "restored", "from snapshot", "wakeup", "recreated"],
    "suspended": ["paused", "migrated", "I/O error", "watchdog", "restored", "from snapshot",
                  "api error", "post-copy", "post-copy failed"],
    "resumed": ["unpaused", "migrated", "from snapshot", "post-copy", "post-copy failed"],
    "stopped": ["shutdown", "destroyed", "crashed", "migrated", "saved", "failed", "from snapshot"],
    "shutdown": ["finished", "guest", "host"],
    "pmsuspended": ["memory", "disk"],
    "crashed": ["panicked", "crashloaded"],
}


def _pick(table, index):
    return table[index] if 0 <= index < len(table) else "unknown"


def state_name(code):
    return STATES.get(code, "nostate")


def reason_name(state, reason_code):
    return _pick(REASONS.get(state, ["unknown"]), reason_code)


def event_name(event_code):
    return _pick(EVENTS, event_code)


def event_detail(event, detail_code):
    return _pick(EVENT_DETAILS.get(event, []), detail_code)
