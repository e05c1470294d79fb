"""Record definitions changed outside the console: libvirt's DEFINED events, handled off the event loop."""

import logging
import uuid as uuidlib

from django.db import DatabaseError

from domains.cluster import events as cluster_events
from domains.definitions.actions import record_external
from domains.libvirt import events as libvirt_events

log = logging.getLogger(__name__)


def _record(host_id, domain_uuid):

    try:
        record_external(host_id, domain_uuid)
    except DatabaseError as exc:
        log.warning("External definition change of %s on host %s not recorded: %s", domain_uuid, host_id, exc)
    except Exception:  # a worker thread: nobody else would see the failure
        log.exception("Recording the external definition change of %s on host %s failed", domain_uuid, host_id)


def on_event(event):
    if event.get("type") != "domain.lifecycle" or event.get("event") != "defined":
        return
    libvirt_events.write_in_event_order(_record, event["host"], uuidlib.UUID(event["uuid"]))



def install():
    """Record DEFINED events as external revisions (called once from DomainsConfig.ready).

    Led events only: every process hears each DEFINED event, and the revision must be recorded once.
    """
    cluster_events.on_led(on_event)
