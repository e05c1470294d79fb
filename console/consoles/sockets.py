"""What the serial and VNC sockets share: ticket, domain, permission, and ending when the domain stops."""

import asyncio
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.http import Http404

from console.sockets import fanout, refusals, sessions
from console.sockets.base import CLOSE_NOT_FOUND, CLOSE_REFUSED, MOVED_WORDS, LiveSocket, check_perm
from domains.access import permissions
from domains.access.lookups import visible
from domains.consoles import streams
from domains.consoles.models import KIND_PERMISSIONS, ConsoleTicket, TicketRefused
from domains.libvirt.adapter import VirtError
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain


@database_sync_to_async
def _visible_domain(user, uuid):
    try:
        return visible(user, Domain, uuid)
    except Http404:
        return None


def _still_running(domain):
    try:
        return streams.is_active(domain)
    except VirtError:
        return False


def _moved_away(domain, event):
    """Whether the domain left its host by migration (under way here, or over: its row names another host)."""
    if event.get("detail") == "migrated" or inventory.is_moving(domain.host_id, domain.uuid):
        return True
    return Domain.objects.filter(pk=domain.pk).exclude(host_id=domain.host_id).exists()


@database_sync_to_async
def _redeem(token, user, domain, kind):
    ConsoleTicket.objects.redeem(token, user, domain, kind)


class ConsoleSocket(LiveSocket):
    """A socket carrying one console of one domain, opened with a ticket."""

    def query(self, name):
        values = parse_qs(self.scope.get("query_string", b"").decode()).get(name)
        return values[0] if values else ""

    async def open_console(self):
        """Open the socket and check ticket and permission; the Domain, or None once refused and closed."""
        if not await self.open_socket():
            return None
        domain = await _visible_domain(self.user, self.scope["url_route"]["kwargs"]["uuid"])
        if domain is None:
            await self.refuse(CLOSE_NOT_FOUND, "not_found", "No such domain, or you may not see it.")
            return None
        try:
            await _redeem(self.query("ticket"), self.user, domain, self.socket_kind)
        except TicketRefused as exc:
            await self.refuse(CLOSE_REFUSED, f"ticket_{exc.code}", exc.message, audit=f"ticket_{exc.code}",
                              target=domain)
            return None
        permission = KIND_PERMISSIONS[self.socket_kind]
        if not await check_perm(self.user, permission, domain):
            await self.refuse(CLOSE_REFUSED, "permission_denied", str(permissions.PermissionDenied(permission, domain)),
                              audit=refusals.PERMISSION, target=domain, permission=permission)
            return None
        self.domain = domain
        self.join(fanout.domain_topic(domain.host_id, domain.uuid))
        return domain

    async def still_allowed(self):
        return await check_perm(self.user, KIND_PERMISSIONS[self.socket_kind], self.domain)

    async def moved_away(self, event):
        """Whether the domain left its host by migration: its console closes saying so, not that it stopped."""
        return await database_sync_to_async(_moved_away)(self.domain, event)

    async def relay_event(self, message):
        event = message["event"]
        if event.get("type") == "domain.lifecycle" and event.get("event") in ("stopped", "undefined"):
            # Events can arrive late (after a stop and a new start): believe libvirt's state.
            if not await asyncio.to_thread(_still_running, self.domain):
                if await self.moved_away(event):
                    # It runs on another host now: the page reopens the console there.
                    await self.end(sessions.DOMAIN_MOVED, MOVED_WORDS)
                else:
                    await self.end("domain_stopped", "The domain stopped.")
