"""In a cluster every process keeps a connection to every enabled host, so any of them can take a host's events over.

A process hears a host's events only over its own connection; one that never
opened it (no request of its own touched the host) could not follow the
host's leader, nor take over when the leader dies. So each server process
connects to every enabled host at its start, and to hosts added later at its
next look (RESCAN_SECONDS).
"""

import logging
import threading
import time

from django.db import close_old_connections

from domains.hosts.models import Host
from domains.libvirt import adapter
from domains.libvirt.adapter import VirtError

log = logging.getLogger(__name__)

RESCAN_SECONDS = 10.0

_started = False
_lock = threading.Lock()


def connect_every_host():
    """Start this process's connector (once): it opens a connection to each enabled host, and keeps looking."""
    global _started
    with _lock:
        if _started:
            return
        _started = True
    threading.Thread(target=_connect_forever, name="cluster-hosts", daemon=True).start()


def _connect_forever():
    while True:
        try:
            hosts = list(Host.objects.filter(enabled=True))
        except Exception as exc:  # the database away: look again later
            log.warning("cannot list the hosts to connect to: %s", exc)
            hosts = []
        finally:
            close_old_connections()
        for host in hosts:
            if host.uri.startswith("qemu:///embed"):
                continue  # an embedded driver belongs to one process: never opened by the others
            try:
                adapter.connection_for(host).get()
            except VirtError as exc:
                log.info("host %s is not reachable yet: %s", host, exc.message)
        time.sleep(RESCAN_SECONDS)
