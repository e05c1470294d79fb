"""Daemon settings actions: read a host's libvirt daemon, change its settings all or nothing, keep it on them.

The desired state lives in DaemonSettings; one DaemonKeeper per host and process
(domains.daemon.keeper) holds the admin connection; the keeper of the process
that holds the host's daemon duty in the cluster (domains.cluster) applies the desired state
when it connects and again whenever the daemon comes back from a restart, so it
happens once for the whole cluster. The leader's keeper starts when the leader
first connects to a host whose daemon it can administer (the adapter's
new-connection hook, no database query there); any process starts one at its
first daemon request, for that request's reads and changes.
"""

import atexit
import logging
import threading
import time
from collections import defaultdict

from django.db import DatabaseError, close_old_connections, transaction
from django.db.models.signals import post_delete
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.access import audit, permissions
from domains.cluster import leadership
from domains.daemon.admin.connection import (
    VIR_ERR_NO_CLIENT,
    VIR_ERR_NO_SERVER,
    admin_uri_for,
)
from domains.daemon.keeper import keeper_for, stop_keeper
from domains.daemon.log_syntax import settable_log_filters
from domains.daemon.models import (
    DaemonRevisionReason,
    DaemonSettings,
    DaemonSettingsRevision,
)
from domains.daemon.settings_service import (
    apply_desired,
    describe_daemon,
    merge_patch,
    validate_desired,
)
from domains.errors import ConsoleError
from domains.hosts.models import Host
from domains.libvirt import adapter as libvirt_adapter
from domains.libvirt.adapter import VirtError
from domains.revisions import actions as revisions

log = logging.getLogger(__name__)

DEFAULT_SERVER = "libvirtd"
# A grant of daemon_read alone shows a host's daemon: no getattr on the host is needed for it.
DAEMON_SEEN_THROUGH = ("getattr", "daemon_read")
CONNECT_WAIT = 5.0  # seconds a request waits for a just-started keeper to reach its daemon


class DaemonSettingsError(ConsoleError):
    """Why a daemon could not be read or changed: .code names the kind, .status is the HTTP answer."""

    STATUS = {"invalid": 400, "rejected": 400, "no_admin_interface": 409, "refused": 409, "no_client": 404,
              "no_server": 404, "unreachable": 503, "not_stored": 500}

    def __init__(self, message, code):
        super().__init__(message, code, self.STATUS[code])


# --- which daemon, and its keeper -------------------------------------------------------------

_host_locks = defaultdict(threading.Lock)  # one change at a time per host, in this process
_host_locks_guard = threading.Lock()
_last_known = {}  # host id -> desired, for the keeper when the database cannot answer
_keeper_state = {}  # host id -> the keeper's latest event
_kept = set()  # host ids whose keeper this module started


def _host_lock(host_id):
    with _host_locks_guard:
        return _host_locks[host_id]


def admin_uri(host):
    """The admin URI of the daemon behind host; DaemonSettingsError(no_admin_interface) when there is none."""
    try:
        return admin_uri_for(host.uri)
    except VirtError as exc:
        raise DaemonSettingsError(exc.message, "no_admin_interface") from exc


def stored_desired(host_id):
    """The desired settings stored for host_id ({} when none)."""
    row = DaemonSettings.objects.filter(host_id=host_id).values_list("desired", flat=True).first()
    return row or {}


def _desired_for_keeper(host_id):
    # Runs on the keeper's thread: it needs its own database connection, and a
    # database that does not answer must not stop the keeper (nor apply {}).
    close_old_connections()
    try:
        _last_known[host_id] = stored_desired(host_id)
    except Exception as exc:  # any database trouble: keep the daemon on the last known state
        log.warning("could not read the desired daemon settings of host %s (%s); using the last known ones",
                    host_id, exc)
    finally:
        close_old_connections()
    return _last_known.get(host_id, {})


def daemon_duty(host_id):
    """The cluster duty of keeping host_id's daemon on its settings (domains.cluster.leadership)."""
    return f"daemon:{host_id}"


def _keeper(host_id, uri):
    _kept.add(host_id)
    # Stand for the duty: a lone process holds it at once and re-applies; in a cluster, its holder does.
    leadership.lead(daemon_duty(host_id))
    return keeper_for(host_id, uri, lambda: _desired_for_keeper(host_id), lambda event: _on_event(host_id, event),
                      applies=lambda: leadership.leads(daemon_duty(host_id)))


def keeper_of(host):
    """The running keeper of host's daemon (started here if needed)."""
    return _keeper(host.pk, admin_uri(host))


def _connection(host, wait=CONNECT_WAIT):
    """The keeper's admin connection to host's daemon; DaemonSettingsError(unreachable) if it has none.

    Waits until the keeper has applied the stored settings on its connection: an
    operator's change must not be overtaken by that first apply of the older state.
    """
    if not host.enabled:
        raise DaemonSettingsError(format_lazy(_("Host '{host}' is disabled: enable it on the Hosts page to manage its "
                                                "daemon."), host=host), "no_admin_interface")
    keeper = keeper_of(host)
    deadline = time.monotonic() + wait
    while True:
        conn = keeper.connection
        state = _keeper_state.get(host.pk, {})
        if conn is not None and state.get("kind") in ("applied", "apply_failed"):
            return conn
        if state.get("kind") == "unreachable" or time.monotonic() > deadline:
            detail = state.get("error") or _("it did not answer")
            raise DaemonSettingsError(format_lazy(_("The libvirt daemon of host '{host}' is not reachable at {uri} "
                                                    "({problem}). Start it (or check its admin socket) and try again; "
                                                    "the console re-applies the desired settings as soon as it "
                                                    "answers."), host=host, uri=keeper.uri, problem=detail),
                                      "unreachable")
        time.sleep(0.02)


def forget_host(host_id):
    """Stop keeping host_id's daemon in this process (the host was removed, or a test is done with it)."""
    _kept.discard(host_id)
    stop_keeper(host_id)
    _keeper_state.pop(host_id, None)
    _last_known.pop(host_id, None)


def _keep_daemon_of(connection):
    """Keep the daemon of each host the console connects to, if the console can administer it, from the
    process that leads the host (once per cluster); the others start a keeper only for a request's reads."""
    try:
        uri = admin_uri_for(connection.uri)
    except VirtError:
        return  # remote, embedded or test hosts: no daemon the admin interface reaches
    leadership.lead(daemon_duty(connection.host_id), on_gain=lambda: _keeper(connection.host_id, uri))


def _stop_keepers():
    # Before logging shuts down: a keeper would otherwise report its worker's end as a lost daemon.
    for host_id in list(_kept):
        forget_host(host_id)


def _host_removed(sender, instance, **kwargs):
    forget_host(instance.pk)


def install():
    """Keep every administrable daemon on its desired settings, and stop at exit (called from DomainsConfig.ready)."""
    libvirt_adapter.on_new_connection(_keep_daemon_of)
    atexit.register(_stop_keepers)
    post_delete.connect(_host_removed, sender=Host, dispatch_uid="daemon-keeper-host-removed")


# --- the keeper's reports ----------------------------------------------------------------------

def _on_event(host_id, event):
    """Record what the keeper did (runs on the keeper's thread)."""
    _keeper_state[host_id] = event
    kind = event["kind"]
    if kind in ("lost", "unreachable"):
        log.warning("libvirt daemon of host %s: %s (%s)", host_id, kind, event.get("reason") or event.get("error"))
        return
    if kind == "applied" and not event["changed"]:
        return  # the daemon was on the desired settings already: nothing happened worth a revision
    close_old_connections()
    try:
        host = Host.objects.filter(pk=host_id).first()
        if host is None:
            return
        params = {"reason": event["reason"]}
        if kind == "apply_failed":
            audit.record(None, "daemon.settings.reapply", host, params,
                         outcome=format_lazy("failed: {}", event["error"]))
            return
        with _host_lock(host_id), transaction.atomic():
            settings_row, _created = DaemonSettings.objects.get_or_create(host=host)
            revision = _new_revision(settings_row, settings_row.desired, None, DaemonRevisionReason.REAPPLIED,
                                     event["changed"])
        audit.record(None, "daemon.settings.reapply", host,
                     {**params, "revision": revision.number, "changed": event["changed"]})
    finally:
        close_old_connections()


# --- actions ------------------------------------------------------------------------------------

def _new_revision(settings_row, desired, user, reason, changed, rollback_of=None):
    return revisions.do_record_revision(DaemonSettingsRevision, settings_row, user=user, desired=desired,
                                        reason=reason, changed=changed, rollback_of=rollback_of)


def _still_connected(conn):
    try:
        return conn.is_alive()
    except VirtError:
        return False


def _undo_changes(conn, changed):
    """Put the daemon back to the values it had before `changed` (apply_desired's report); '' or the problem."""
    before = {}
    for change in changed:
        parts = change["path"].split(".")
        if parts[0] == "servers":
            before.setdefault("servers", {}).setdefault(parts[1], {})[parts[2]] = change["before"]
        elif change["path"] == "logging.filters":
            before.setdefault("logging", {})["filters"] = settable_log_filters(change["before"])
        elif change["path"] == "logging.outputs":
            before.setdefault("logging", {})["outputs"] = change["before"]
        # daemon_timeout cannot be read back, so it has no "before" to restore.
    try:
        apply_desired(conn, before)
    except (VirtError, ValueError) as exc:
        log.error("could not put the daemon back after a failed store: %s", exc)
        return getattr(exc, "message", str(exc))
    return ""


def do_apply_daemon_settings(user, host, patch, source_address=None, reason=DaemonRevisionReason.API, *,
                             rollback_to=None):
    """Merge patch into host's desired daemon settings, apply them to the daemon, then store them.

    With rollback_to (an earlier DaemonSettingsRevision; patch is then None), its desired
    settings replace the current ones as they were, and the new revision records which.

    The same desired state again puts a drifted daemon back on it. Returns the new
    DaemonSettingsRevision, or None when neither the settings nor the daemon changed. Raises
    PermissionDenied / Http404, or DaemonSettingsError: invalid (the patch), rejected (by the
    daemon, in libvirt's words; daemon and database as they were), unreachable, no_admin_interface,
    not_stored (the database refused; the daemon was put back).
    """
    action = "daemon.settings.apply"
    params = {"patch": patch} if rollback_to is None else {"rollback_to": rollback_to.number}
    audit.require(user, "daemon_write", host, action, params, source_address)
    uri = admin_uri(host)
    with _host_lock(host.pk):
        previous = stored_desired(host.pk)
        try:
            desired = (merge_patch(previous, patch, default_server=DEFAULT_SERVER) if rollback_to is None
                       else validate_desired(rollback_to.desired))
        except ValueError as exc:
            audit.record(user, action, host, params, outcome=format_lazy("refused: {}", exc),
                         source_address=source_address)
            raise DaemonSettingsError(format_lazy(_("{problem}. Nothing was changed."), problem=exc),
                                      "invalid") from exc
        conn = _connection(host)
        try:
            report = apply_desired(conn, desired)
        except (VirtError, ValueError) as exc:
            # A ValueError's own message may be lazy: formatted when said, in the reader's language.
            message = exc.message if isinstance(exc, VirtError) else exc
            # The notes of a failed take-back (settings_service._undo), in the console's own words.
            notes = " ".join(getattr(exc, "__notes__", []))
            outcome = format_lazy("refused: {} {}", message, notes) if notes else format_lazy("refused: {}", message)
            audit.record(user, action, host, params, outcome=outcome, source_address=source_address)
            if isinstance(exc, VirtError) and not _still_connected(conn):
                raise DaemonSettingsError(format_lazy(_("The daemon at {uri} went away while applying ({problem}); "
                                                        "nothing was stored. Try again once it answers."),
                                                      uri=uri, problem=message), "unreachable") from exc
            rejected = (_("The daemon rejected the settings: {problem}. {notes} Nothing was changed on the daemon "
                          "or in the console.") if notes else
                        _("The daemon rejected the settings: {problem}. Nothing was changed on the daemon or in the "
                          "console."))
            raise DaemonSettingsError(format_lazy(rejected, problem=message, notes=notes), "rejected") from exc
        if desired == previous and not report["changed"]:
            return None  # the same settings, and the daemon was on them: nothing to record
        try:
            with transaction.atomic():
                settings_row, _created = DaemonSettings.objects.select_for_update().get_or_create(host=host)
                settings_row.desired = desired
                settings_row.save(update_fields=["desired", "updated"])
                revision = _new_revision(settings_row, desired, user, reason, report["changed"],
                                         rollback_to.number if rollback_to is not None else None)
        except DatabaseError as exc:
            problem = _undo_changes(conn, report["changed"])
            audit.record(user, action, host, params, source_address=source_address,
                         outcome=f"failed: not stored ({exc}); "
                                 + (f"putting the daemon back failed: {problem}" if problem else "daemon put back"))
            extra = (format_lazy(_("Putting the daemon back failed too ({problem}): check its settings."),
                                 problem=problem)
                     if problem else _("The daemon was put back: nothing changed."))
            not_stored = format_lazy(_("The console could not store the daemon settings ({problem})."), problem=exc)
            raise DaemonSettingsError(format_lazy("{} {}", not_stored, extra), "not_stored") from exc
        _last_known[host.pk] = desired
    audit.record(user, action, host, {**params, "revision": revision.number, "changed": report["changed"]},
                 source_address=source_address)
    return revision


def do_rollback_daemon_settings(user, host, revision, source_address=None):
    """Make an earlier revision's desired settings the desired ones again, applied like any change.

    Returns the new DaemonSettingsRevision (reason "rollback"), or None when the daemon and
    the stored settings were already on them; raises as do_apply_daemon_settings does.
    """
    settings_row = DaemonSettings.objects.filter(host=host).first()
    if settings_row is None:
        raise DaemonSettingsError(format_lazy(_("Host '{host}' has no daemon settings revisions to roll back to."),
                                              host=host), "invalid")

    def apply_again(old, _why):
        return do_apply_daemon_settings(user, host, None, source_address, DaemonRevisionReason.ROLLBACK,
                                        rollback_to=old)

    return revisions.do_rollback(revision, settings_row, apply_again,
                                 refusal=lambda message: DaemonSettingsError(message, "invalid"))


def _daemon_call(user, host, permission, action, params, source_address, call):
    """Run call(conn) as one audited daemon action; DaemonSettingsError in libvirt's words on refusal."""
    audit.require(user, permission, host, action, params, source_address)
    conn = _connection(host)
    try:
        result = call(conn)
    except VirtError as exc:
        audit.record(user, action, host, params, outcome=format_lazy("failed: {}", exc.message),
                     source_address=source_address)
        code = {VIR_ERR_NO_CLIENT: "no_client", VIR_ERR_NO_SERVER: "no_server"}.get(exc.code, "refused")
        if code == "refused" and not _still_connected(conn):
            code = "unreachable"
        raise DaemonSettingsError(format_lazy(_("The daemon of host '{host}' refused: {problem}"), host=host,
                                              problem=exc.message), code) from exc
    audit.record(user, action, host, params, source_address=source_address)
    return result


def do_disconnect_client(user, host, server, client_id, source_address=None):
    """Close one client's connection to host's daemon (server e.g. "libvirtd")."""
    server = server or DEFAULT_SERVER
    _daemon_call(user, host, "daemon_write", "daemon.client.disconnect", {"server": server, "client": client_id},
                 source_address, lambda conn: conn.disconnect_client(server, client_id))


def do_reload_tls(user, host, server=None, source_address=None):
    """Make the daemon's server re-read its TLS certificates and CRL from disk."""
    server = server or DEFAULT_SERVER
    _daemon_call(user, host, "daemon_write", "daemon.tls.reload", {"server": server}, source_address,
                 lambda conn: conn.update_tls_files(server))


def read_daemon(user, host):
    """Desired and live settings, drift and clients of host's daemon, JSON-ready (needs daemon_read).

    Never raises for a daemon that cannot be reached: reachable is False and error says why.
    """
    permissions.require(user, "daemon_read", host)
    settings_row = DaemonSettings.objects.filter(host=host).first()
    desired = settings_row.desired if settings_row else {}
    latest = settings_row.latest_revision() if settings_row else None
    answer = {"desired": desired, "revision": latest.number if latest else None, "admin_uri": None,
              "reachable": False, "error": None, "daemon_version": None, "live": None, "drift": [], "clients": {}}
    try:
        answer["admin_uri"] = admin_uri(host)
        answer.update(describe_daemon(_connection(host), desired))
        answer["reachable"] = True
    except DaemonSettingsError as exc:
        answer["error"] = exc.message
    except VirtError as exc:  # the daemon went away between two reads
        answer["error"] = format_lazy(_("The daemon stopped answering: {problem}"), problem=exc.message)
    return answer


def revisions_of(user, host):
    """host's daemon settings revisions, newest first (needs daemon_read)."""
    permissions.require(user, "daemon_read", host)
    return DaemonSettingsRevision.objects.filter(settings__host=host).newest_first()
