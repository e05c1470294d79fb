"""Every change the console makes is written here, successful or not."""

import logging

log = logging.getLogger("virtconsole.audit")


def record(actor, action, target=None, params=None, outcome="ok", source_address=None):
    """Write one audit entry; target is a Domain, Host or None."""
    log.info("audit actor=%s action=%s target=%s params=%s outcome=%s from=%s",
             getattr(actor, "username", actor), action, target, params, outcome, source_address)
