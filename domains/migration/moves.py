"""A migrated domain's row moves to its new host: same row (UUID, grants, history), old tickets void, sessions told."""

import logging
from contextlib import contextmanager

from django.db import transaction
from django.utils import timezone

from domains.consoles.models import ConsoleTicket
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain

log = logging.getLogger(__name__)

_moved_listeners = []


def on_moved(callback):
    """Call callback(domain=..., source=..., destination=...) once a domain's row moved host (the console's
    sockets close the domain's open consoles); usable as a decorator."""
    if callback not in _moved_listeners:
        _moved_listeners.append(callback)
    return callback


@contextmanager
def moving(domain, destination):
    """While the migration runs, the inventory takes neither host's events about the domain as a verdict."""
    inventory.begin_move(domain.uuid, domain.host_id, destination.pk)
    try:
        yield
    finally:
        inventory.end_move(domain.uuid)


def move_row(domain, destination):
    """Make domain's row name destination as its host, in one transaction: a row the destination's events made
    meanwhile (another process's inventory) gives way, and the console tickets issued on the old host are void."""
    source = domain.host
    with transaction.atomic():
        Domain.objects.filter(host=destination, uuid=domain.uuid).exclude(pk=domain.pk).delete()
        Domain.objects.filter(pk=domain.pk).update(host=destination, gone=False, changed=timezone.now())
        ConsoleTicket.objects.filter(domain=domain, used__isnull=True).delete()
    domain.host = destination
    domain.gone = False
    for callback in list(_moved_listeners):
        try:
            callback(domain=domain, source=source, destination=destination)
        except Exception:  # one broken listener must not keep the others from closing sessions
            log.exception("moved listener %r failed for %s", callback, domain)
    return domain
