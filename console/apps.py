"""Django app of the site itself: login, dashboard, pages, live sessions."""

from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "console"

    def ready(self):
        from console.sockets import sessions
        from domains.access import permissions

        # A revoked grant closes that user's consoles on the domain within a
        # second (and trims their event subscriptions); logout is handled in
        # sessions itself.
        permissions.on_revoke(sessions.recheck_sessions)
