"""Django app of the site itself: settings, pages and sockets per feature."""

from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "console"

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_out
        from django.contrib.sessions.models import Session
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_delete, post_save

        from console import database, request_threads
        from console.events import relay as socket_relay
        from console.events import stats_ticker
        from console.jobs import events as job_events
        from console.sockets import sessions
        from domains.access import permissions
        from domains.cluster import bus
        from domains.jobs import progress as job_progress
        from domains.migration import moves as migration_moves

        # Closing a request's SQLite connection does not checkpoint the log and wait for the disk.
        connection_created.connect(database.hold_wal_open, dispatch_uid="virtconsole-hold-sqlite-wal-open")
        # A request's thread keeps its connection for the next request it serves.
        connection_created.connect(request_threads.keep_connection, dispatch_uid="virtconsole-request-connections")
        # A revoked grant closes that user's consoles and monitors on the domain
        # within a second, and trims what their event sockets show.
        permissions.on_revoke(sessions.recheck_sessions)
        # A domain migrated to another host: its open consoles (on the old host's QEMU) close, saying why.
        migration_moves.on_moved(sessions.on_domain_moved)
        # The cluster's events and job changes reach this process's sockets.
        socket_relay.install()
        stats_ticker.install()  # one stats call per host and tick for the whole cluster
        bus.on("sessions", sessions.on_bus_message)  # endings of sockets, whichever process holds them
        bus.on("gap", sessions.on_bus_gap)  # messages lost while Redis was away: events sockets start afresh
        # Every job change made in this process reaches the events sockets of those who may see it.
        job_progress.on_job_change(job_events.forward)
        # An account that signs out, is deactivated or deleted, or whose session
        # is deleted, keeps no open socket.
        user_model = get_user_model()
        user_logged_out.connect(sessions.on_logout, dispatch_uid="virtconsole-close-sessions-on-logout")
        post_save.connect(sessions.on_user_saved, sender=user_model, dispatch_uid="virtconsole-close-on-deactivate")
        post_delete.connect(sessions.on_user_deleted, sender=user_model, dispatch_uid="virtconsole-close-on-user-delete")
        post_delete.connect(sessions.on_session_deleted, sender=Session,
                            dispatch_uid="virtconsole-close-on-session-delete")
