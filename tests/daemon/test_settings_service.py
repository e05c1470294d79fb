"""Desired daemon settings: checking, patching, drift, and all-or-nothing apply on a real libvirtd."""

import json
import os

import libvirt
import pytest

from domains.daemon.admin.connection import VirtError
from domains.daemon.settings_service import (
    apply_desired,
    describe_daemon,
    drift,
    merge_patch,
    read_live,
    validate_desired,
)
from domains.libvirt.adapter import daemon_uri

from .daemon_helpers import SERVER, virt_admin_table

LIVE = {
    "servers": {
        "libvirtd": {
            "threadpool": {"min_workers": 5, "max_workers": 20, "prio_workers": 5, "current_workers": 5},
            "client_limits": {"max_clients": 5000, "max_unauth_clients": 20, "clients": 3},
        }
    },
    "logging": {"filters": "3:*qemu*", "outputs": "3:file:/var/log/libvirt/libvirtd.log"},
}


def test_it_accepts_a_full_desired_state():
    desired = {
        "servers": {
            "libvirtd": {"threadpool": {"min_workers": 2, "max_workers": 30}, "client_limits": {"max_clients": 9}}
        },
        "logging": {"filters": "3:qemu", "outputs": "3:stderr"},
        "daemon_timeout": 0,
    }
    assert validate_desired(desired) == desired


@pytest.mark.parametrize(
    ("desired", "message"),
    [
        ({"servers": {"libvirtd": {"threadpool": {"max_workers": -1}}}}, "libvirtd.threadpool.max_workers: must be"),
        ({"servers": {"libvirtd": {"threadpool": {"max_workers": True}}}}, "max_workers: must be a whole number"),
        ({"servers": {"libvirtd": {"threadpool": {"current_workers": 3}}}}, "unknown setting 'current_workers'"),
        ({"servers": {"libvirtd": {"threadpool": {"min_workers": 9, "max_workers": 8}}}}, "min_workers cannot be"),
        ({"servers": {"libvirtd": {"client_limits": {"max_clients": 5, "max_unauth_clients": 6}}}}, "max_unauth"),
        ({"servers": {"libvirtd": {"pool": {}}}}, "servers.libvirtd: unknown setting 'pool'"),
        ({"logging": {"filters": "9:qemu"}}, "logging.filters: log filter '9:qemu'"),
        ({"logging": {"outputs": "3:file:relative"}}, "logging.outputs: log output '3:file:relative'"),
        ({"logging": {"filters": 3}}, "logging.filters: must be a string"),
        ({"daemon_timeout": "soon"}, "daemon_timeout: must be a whole number"),
        ({"threadpool": {}}, "settings: unknown setting 'threadpool'"),
    ],
)
def test_it_rejects_a_bad_desired_state_naming_the_setting(desired, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        validate_desired(desired)


def test_a_patch_changes_one_setting_and_keeps_the_rest():
    desired = {"servers": {"libvirtd": {"threadpool": {"min_workers": 5}}}, "logging": {"filters": "3:qemu"}}

    merged = merge_patch(desired, {"server": "libvirtd", "threadpool": {"max_workers": 30}})

    assert merged == {
        "servers": {"libvirtd": {"threadpool": {"min_workers": 5, "max_workers": 30}}},
        "logging": {"filters": "3:qemu"},
    }
    assert desired["servers"]["libvirtd"]["threadpool"] == {"min_workers": 5}


def test_a_patch_without_a_server_means_libvirtd_and_null_stops_managing():
    desired = {"servers": {"libvirtd": {"client_limits": {"max_clients": 100}}}, "daemon_timeout": 60}

    patch = {"client_limits": {"max_clients": None}, "daemon_timeout": None, "logging": {"outputs": ""}}

    merged = merge_patch(desired, patch)

    assert merged == {"logging": {"outputs": ""}}


def test_a_patch_is_checked_like_a_desired_state():
    with pytest.raises(ValueError, match="servers.admin.threadpool.max_workers"):
        merge_patch({}, {"server": "admin", "threadpool": {"max_workers": "many"}})
    with pytest.raises(ValueError, match="patch: unknown setting 'threads'"):
        merge_patch({}, {"threads": 3})


def test_drift_lists_each_setting_that_differs():
    desired = {
        "servers": {
            "libvirtd": {"threadpool": {"min_workers": 5, "max_workers": 30}, "client_limits": {"max_clients": 5000}},
            "virtqemud": {"threadpool": {"max_workers": 4}},
        },
        "logging": {"filters": "3:qemu 1:util", "outputs": "3:file:/var/log/libvirt/libvirtd.log"},
        "daemon_timeout": 30,
    }

    assert drift(desired, LIVE) == [
        {"path": "servers.libvirtd.threadpool.max_workers", "desired": 30, "live": 20},
        {"path": "servers.virtqemud", "desired": {"threadpool": {"max_workers": 4}}, "live": None},
        {"path": "logging.filters", "desired": "3:qemu 1:util", "live": "3:*qemu*"},
    ]


def test_no_drift_when_the_daemon_matches_in_its_own_spelling():
    desired = {
        "logging": {"filters": " 3:+qemu ", "outputs": ""},
        "servers": {"libvirtd": {"threadpool": {"max_workers": 20}}},
    }

    assert drift(desired, LIVE) == []


@pytest.mark.system
def test_it_applies_desired_settings_and_then_shows_no_drift(restored_daemon):
    desired = {
        "servers": {SERVER: {"threadpool": {"max_workers": 27}, "client_limits": {"max_clients": 4444}}},
        "logging": {"filters": "2:rpc.keepalive"},
    }

    report = apply_desired(restored_daemon, desired)

    assert [change["path"] for change in report["changed"]] == [
        f"servers.{SERVER}.threadpool",
        f"servers.{SERVER}.client_limits",
        "logging.filters",
    ]
    assert drift(desired, read_live(restored_daemon)) == []
    assert virt_admin_table("srv-threadpool-info", SERVER)["maxWorkers"] == 27
    assert virt_admin_table("srv-clients-info", SERVER)["nclients_max"] == 4444
    assert apply_desired(restored_daemon, desired)["changed"] == []


@pytest.mark.system
def test_a_value_the_daemon_rejects_takes_back_what_was_already_applied(restored_daemon):
    before = read_live(restored_daemon)
    unauth_max = before["servers"][SERVER]["client_limits"]["max_unauth_clients"]
    desired = {
        # Applied first, then taken back:
        "servers": {
            SERVER: {
                "threadpool": {"max_workers": before["servers"][SERVER]["threadpool"]["max_workers"] + 3},
                # Only the daemon knows this is below its unauthenticated limit.
                "client_limits": {"max_clients": unauth_max - 1},
            }
        },
        "logging": {"filters": "1:qemu"},
    }

    with pytest.raises(VirtError, match="must not be less than"):
        apply_desired(restored_daemon, desired)

    after = read_live(restored_daemon)
    for group in ("threadpool", "client_limits"):
        for key in ("min_workers", "max_workers", "prio_workers", "max_clients", "max_unauth_clients"):
            assert after["servers"][SERVER][group].get(key) == before["servers"][SERVER][group].get(key)
    assert after["logging"] == before["logging"]


@pytest.mark.system
def test_a_log_output_the_daemon_cannot_open_takes_back_the_filters(restored_daemon):
    before = read_live(restored_daemon)["logging"]

    with pytest.raises(VirtError, match="failed to open /nonexistent-dir/libvirtd.log"):
        apply_desired(
            restored_daemon, {"logging": {"filters": "1:qemu", "outputs": "3:file:/nonexistent-dir/libvirtd.log"}}
        )

    assert read_live(restored_daemon)["logging"] == before


@pytest.mark.system
def test_it_names_a_server_the_daemon_does_not_have_and_changes_nothing(restored_daemon):
    before = read_live(restored_daemon)

    with pytest.raises(VirtError, match="No server named 'virtqemud'"):
        apply_desired(restored_daemon, {"logging": {"filters": "1:qemu"}, "servers": {"virtqemud": {"threadpool": {}}}})

    assert read_live(restored_daemon)["logging"] == before["logging"]


@pytest.mark.system
def test_it_describes_the_daemon_as_json_with_drift_and_clients(admin_connection):
    conn = libvirt.open(daemon_uri("qemu:///system"))
    try:
        described = describe_daemon(admin_connection, {"servers": {SERVER: {"threadpool": {"max_workers": 4321}}}})
    finally:
        conn.close()

    json.dumps(described)  # the API returns it as is
    assert described["daemon_version"].count(".") == 2
    assert {"admin", SERVER} <= set(described["live"]["servers"])
    assert described["drift"][0]["path"] == f"servers.{SERVER}.threadpool.max_workers"
    mine = [c for c in described["clients"][SERVER] if c["identity"].get("unix_process_id") == os.getpid()]
    assert mine and mine[0]["transport"] == "unix" and mine[0]["identity"]["unix_user_name"] == "root"
