"""Audit of refused websockets: one entry per refusal, worded as HTTP refusals are ("refused <METHOD> <path>")."""

from channels.db import database_sync_to_async
from django.utils.functional import empty

from domains.access import audit

BAD_ORIGIN = "bad_origin"
NOT_SIGNED_IN = "not_signed_in"
PERMISSION = "permission_denied"
TICKET = "ticket"


def _client_address(scope):
    client = scope.get("client") or (None,)
    return client[0]


@database_sync_to_async
def _record(user, action, target, params, address):
    audit.record(user, action, target, params, outcome="denied", source_address=address)


async def record(scope, reason, target=None, user=None, permission=None, detail=None):
    """Write the audit entry of one refused socket; reason is one of the names above (or a ticket_* code).

    user defaults to the scope's (anonymous when no one signed in); the ticket
    itself is never recorded: it is in the query string, which is left out.
    """
    user = user if user is not None else scope.get("user")
    # Channels' lazy user: the audit row wants the User itself.
    wrapped = getattr(user, "_wrapped", None)
    if wrapped is not None and wrapped is not empty:
        user = wrapped
    params = {"reason": reason}
    if permission is not None:
        params["permission"] = permission
    if detail:
        params.update(detail)
    await _record(user, f"refused WEBSOCKET {scope.get('path', '')}", target, params, _client_address(scope))
