"""The daemon keeper: desired settings applied on connect and re-applied when the daemon restarts."""

import queue
import time

import pytest

from domains.daemon.keeper import DaemonKeeper, keeper_for, stop_keeper
from domains.daemon.settings_service import drift, read_live
from domains.libvirt.adapter import VirtError

from .daemon_helpers import RestartableDaemon, virt_admin, virt_admin_table

pytestmark = [pytest.mark.system]

DESIRED = {
    "servers": {"virtlockd": {"client_limits": {"max_clients": 900, "max_unauth_clients": 800}}},
    "logging": {"filters": "3:rpc"},
}


def next_event(events, kind, timeout=20):
    event = events.get(timeout=timeout)
    assert event["kind"] == kind, event
    return event


def events_until(events, kind, timeout=20):
    """The events that arrive up to and including the first one of kind."""
    seen = [events.get(timeout=timeout)]
    while seen[-1]["kind"] != kind:
        seen.append(events.get(timeout=timeout))
    return seen


def daemon_matches_desired():
    limits = virt_admin_table("srv-clients-info", "virtlockd", uri=RestartableDaemon.URI)
    filters = virt_admin("daemon-log-filters", uri=RestartableDaemon.URI)
    return (limits["nclients_max"], limits["nclients_unauth_max"]) == (900, 800) and "3:*rpc*" in filters


def test_it_applies_the_desired_settings_when_it_connects(virtlockd):
    events = queue.Queue()
    keeper = DaemonKeeper(RestartableDaemon.URI, lambda: DESIRED, events.put).start()
    try:
        applied = next_event(events, "applied")
        assert applied["reason"] == "connected"
        changed = [change["path"] for change in applied["changed"]]
        assert changed == ["servers.virtlockd.client_limits", "logging.filters"]
        assert daemon_matches_desired()
        assert drift(DESIRED, read_live(keeper.connection)) == []
    finally:
        keeper.stop()


def test_it_reapplies_the_desired_settings_after_the_daemon_restarts(virtlockd):
    events = queue.Queue()
    keeper = DaemonKeeper(RestartableDaemon.URI, lambda: DESIRED, events.put).start()
    try:
        next_event(events, "applied")

        started = time.monotonic()
        virtlockd.restart()

        assert next_event(events, "lost")["reason"] == "eof"
        # The keeper reconnects at once; if the daemon is not back yet, it truthfully reports the
        # outage (once), then keeps trying. Which comes first depends only on how fast the daemon starts.
        *between, reapplied = events_until(events, "applied")
        assert [event["kind"] for event in between] in ([], ["unreachable"]), between
        elapsed = time.monotonic() - started
        assert reapplied["reason"] == "reconnected"
        assert reapplied["changed"], "a restarted daemon starts from its defaults"
        assert daemon_matches_desired()
        assert elapsed < 10
    finally:
        keeper.stop()


def test_a_restart_slower_than_the_reconnect_is_reported_as_an_outage_then_reapplied(virtlockd):
    # What a slow machine does in the test above: the keeper tries again before the daemon is back.
    events = queue.Queue()
    keeper = DaemonKeeper(RestartableDaemon.URI, lambda: DESIRED, events.put, backoff_max=0.5).start()
    try:
        next_event(events, "applied")
        virtlockd.stop()
        assert next_event(events, "lost")["reason"] == "eof"
        assert "virtlockd-admin-sock" in next_event(events, "unreachable")["error"]
        virtlockd.start()
        assert next_event(events, "applied")["reason"] == "reconnected"
        assert daemon_matches_desired()
    finally:
        keeper.stop()


def test_it_reports_a_daemon_that_is_away_and_applies_once_it_starts():
    daemon = RestartableDaemon()
    if daemon.answers():
        pytest.skip("a virtlockd not started by these tests is running")
    events = queue.Queue()
    keeper = DaemonKeeper(RestartableDaemon.URI, lambda: DESIRED, events.put, backoff_max=0.5).start()
    try:
        assert "virtlockd-admin-sock" in next_event(events, "unreachable")["error"]
        daemon.start()
        assert next_event(events, "applied")["reason"] == "connected"
        assert daemon_matches_desired()
    finally:
        keeper.stop()
        daemon.stop()


def test_a_rejected_desired_state_is_reported_not_fatal(virtlockd):
    events = queue.Queue()
    bad = {"servers": {"virtlockd": {"threadpool": {"max_workers": 4}}}}  # virtlockd has no worker pool
    keeper = DaemonKeeper(RestartableDaemon.URI, lambda: bad, events.put).start()
    try:
        failed = next_event(events, "apply_failed")
        assert "maxWorkers must not be switched from zero to non-zero" in failed["error"]
        assert keeper.connection is not None and keeper.connection.is_alive()
    finally:
        keeper.stop()


def test_a_desired_state_that_cannot_be_read_is_reported_and_the_keeper_lives_on(virtlockd):
    from django.db import OperationalError

    def unreadable():
        raise OperationalError("the database went away")  # what reading the wanted settings meets when it does

    events = queue.Queue()
    keeper = DaemonKeeper(RestartableDaemon.URI, unreadable, events.put).start()
    try:
        failed = next_event(events, "apply_failed")
        assert "the database went away" in failed["error"]
        assert keeper.connection is not None and keeper.connection.is_alive()
    finally:
        keeper.stop()


def test_one_keeper_per_key_serves_reads_and_is_replaced_when_the_uri_changes(virtlockd):
    events = queue.Queue()
    try:
        keeper = keeper_for("host-1", RestartableDaemon.URI, lambda: DESIRED, events.put)
        assert keeper_for("host-1", RestartableDaemon.URI, lambda: DESIRED, events.put) is keeper
        next_event(events, "applied")
        assert "virtlockd" in keeper.connection.list_servers()

        replaced = keeper_for("host-1", "virtnosuchd:///system", lambda: DESIRED, events.put)
        assert replaced is not keeper and keeper.connection is None
        assert "virtnosuchd-admin-sock" in next_event(events, "unreachable")["error"]
    finally:
        stop_keeper("host-1")


def test_apply_now_pushes_changed_desired_settings_on_the_kept_connection(virtlockd):
    events = queue.Queue()
    desired = {"servers": {"virtlockd": {"client_limits": {"max_clients": 900, "max_unauth_clients": 800}}}}
    keeper = DaemonKeeper(RestartableDaemon.URI, lambda: desired, events.put).start()
    try:
        next_event(events, "applied")
        desired = {"servers": {"virtlockd": {"client_limits": {"max_clients": 700, "max_unauth_clients": 600}}}}

        report = keeper.apply_now()

        assert [change["after"] for change in report["changed"]] == [{"max_clients": 700, "max_unauth_clients": 600}]
        limits = virt_admin_table("srv-clients-info", "virtlockd", uri=RestartableDaemon.URI)
        assert (limits["nclients_max"], limits["nclients_unauth_max"]) == (700, 600)
    finally:
        keeper.stop()
    with pytest.raises(VirtError, match="not reachable right now"):
        keeper.apply_now()
