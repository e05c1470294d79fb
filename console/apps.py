"""Django app of the site itself: settings, pages and sockets per feature."""

from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "console"

    def ready(self):
        from django.contrib.auth.signals import user_logged_out

        from console.sockets import sessions
        from domains.access import permissions

        # A revoked grant closes that user's consoles on the domain within a
        # second (and trims their event subscriptions); a logout ends them all.
        permissions.on_revoke(sessions.recheck_sessions)
        user_logged_out.connect(sessions.on_logout, dispatch_uid="virtconsole-close-sessions-on-logout")
