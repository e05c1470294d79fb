"""Desired daemon settings: check them, read the live ones, apply all-or-nothing, show drift.

The desired state is plain JSON (what the database stores), every key optional;
a key left out is not managed, so the daemon keeps its own value:

    {
      "servers": {
        "libvirtd": {
          "threadpool": {"min_workers": 5, "max_workers": 30, "prio_workers": 5},
          "client_limits": {"max_clients": 5000, "max_unauth_clients": 20}
        }
      },
      "logging": {"filters": "3:qemu 1:util.json", "outputs": "3:file:/var/log/libvirt/libvirtd.log"},
      "daemon_timeout": 0
    }

Functions take any object with AdminConnection's methods. A ValueError's message is said in the reader's
language (domains.words).
"""

import copy
import logging
from dataclasses import asdict

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from domains.daemon.admin.ctypes_binding import UINT_MAX
from domains.daemon.admin.types import ClientLimits, ThreadPool
from domains.daemon.log_syntax import (
    check_log_filters,
    check_log_outputs,
    normalize_log_filters,
    normalize_log_outputs,
    settable_log_filters,
)
from domains.libvirt.adapter import VirtError

log = logging.getLogger(__name__)

SERVER_GROUPS = {"threadpool": ThreadPool.SETTABLE, "client_limits": ClientLimits.SETTABLE}
LOGGING_KEYS = ("filters", "outputs")
TOP_KEYS = ("servers", "logging", "daemon_timeout")


def _fail(path, problem):
    raise ValueError(format_lazy("{}: {}", path, problem))


def _known_keys(value, allowed, path):
    if not isinstance(value, dict):
        _fail(path, _("must be an object"))
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        _fail(path, format_lazy(_("unknown setting {setting}; known: {known}"), setting=repr(unknown[0]),
                                known=", ".join(allowed)))


def _count(value, path):
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= UINT_MAX:
        _fail(path, format_lazy(_("must be a whole number from 0 to {most}, not {value}"), most=UINT_MAX,
                                value=repr(value)))


def validate_desired(desired):
    """A checked copy of `desired`; ValueError naming the path of the first bad value."""
    _known_keys(desired, TOP_KEYS, "settings")
    for server, groups in desired.get("servers", {}).items():
        _known_keys(groups, SERVER_GROUPS, f"servers.{server}")
        for group, values in groups.items():
            _known_keys(values, SERVER_GROUPS[group], f"servers.{server}.{group}")
            for key, value in values.items():
                _count(value, f"servers.{server}.{group}.{key}")
        pool = groups.get("threadpool", {})
        if pool.get("min_workers", 0) > pool.get("max_workers", UINT_MAX):
            _fail(f"servers.{server}.threadpool", _("min_workers cannot be larger than max_workers"))
        limits = groups.get("client_limits", {})
        if limits.get("max_unauth_clients", 0) > limits.get("max_clients", UINT_MAX):
            _fail(f"servers.{server}.client_limits", _("max_unauth_clients cannot be larger than max_clients"))
    logging_settings = desired.get("logging", {})
    _known_keys(logging_settings, LOGGING_KEYS, "logging")
    for key, check in (("filters", check_log_filters), ("outputs", check_log_outputs)):
        if key in logging_settings:
            if not isinstance(logging_settings[key], str):
                _fail(f"logging.{key}", _("must be a string"))
            try:
                check(logging_settings[key])
            except ValueError as exc:
                _fail(f"logging.{key}", exc)
    if "daemon_timeout" in desired:
        _count(desired["daemon_timeout"], "daemon_timeout")
    return copy.deepcopy(desired)


def merge_patch(desired, patch, default_server="libvirtd"):
    """`desired` with an API patch applied, checked; a null value stops managing that setting.

    A patch is e.g. {"server": "libvirtd", "threadpool": {"max_workers": 30}},
    {"client_limits": {"max_clients": 100}}, {"logging": {"filters": "3:qemu"}}
    or {"daemon_timeout": 120}.
    """
    _known_keys(patch, ("server", "logging", "daemon_timeout", *SERVER_GROUPS), "patch")
    merged = copy.deepcopy(desired)
    server = patch.get("server", default_server)
    for group in SERVER_GROUPS:
        if group in patch:
            _merge_values(merged.setdefault("servers", {}).setdefault(server, {}).setdefault(group, {}), patch[group])
    if "logging" in patch:
        _merge_values(merged.setdefault("logging", {}), patch["logging"])
    if "daemon_timeout" in patch:
        if patch["daemon_timeout"] is None:
            merged.pop("daemon_timeout", None)
        else:
            merged["daemon_timeout"] = patch["daemon_timeout"]
    return validate_desired(_without_empty(merged))


def _merge_values(target, values):
    if not isinstance(values, dict):
        raise ValueError(format_lazy(_("patch: {values} must be an object of settings"), values=repr(values)))
    for key, value in values.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = value


def _without_empty(value):
    """`value` without the objects a patch left empty (a group no longer managed at all)."""
    if not isinstance(value, dict):
        return value
    cleaned = {key: _without_empty(item) for key, item in value.items()}
    return {key: item for key, item in cleaned.items() if item != {}}


def read_live(conn, servers=None):
    """The daemon's settings and counters now, in the desired-state shape (all servers unless named)."""
    names = conn.list_servers() if servers is None else list(servers)
    return {
        "servers": {
            name: {
                "threadpool": asdict(conn.thread_pool(name)),
                "client_limits": asdict(conn.client_limits(name)),
            }
            for name in names
        },
        "logging": {"filters": conn.logging_filters(), "outputs": conn.logging_outputs()},
    }


def client_json(client):
    """One DaemonClient as the API shows it: identity keys only where the daemon reported them."""
    identity = {
        key: value
        for key, value in (
            ("unix_user_id", client.unix_user_id),
            ("unix_user_name", client.unix_user_name),
            ("unix_group_id", client.unix_group_id),
            ("unix_group_name", client.unix_group_name),
            ("unix_process_id", client.unix_process_id),
            ("sasl_user_name", client.sasl_user_name),
            ("x509_dname", client.x509_dname),
            ("sock_addr", client.sock_addr),
            ("selinux_context", client.selinux_context),
        )
        if value is not None
    }
    return {
        "id": client.id,
        "transport": client.transport,
        "connected_at": client.connected_at.isoformat(),
        "readonly": client.readonly,
        "identity": identity,
    }


def describe_daemon(conn, desired):
    """Everything the daemon page and GET .../daemon show, JSON-ready: live settings, drift, clients."""
    live = read_live(conn)
    return {
        "daemon_version": conn.daemon_version(),
        "live": live,
        "drift": drift(desired, live),
        "clients": {server: [client_json(client) for client in conn.clients(server)] for server in live["servers"]},
    }


def drift(desired, live):
    """Where the live daemon differs from `desired`: [{"path", "desired", "live"}], [] when none.

    Not compared: outputs "" (the daemon's default, which it does not report
    as such) and daemon_timeout (libvirt cannot read it back).
    """
    found = []
    for server, groups in desired.get("servers", {}).items():
        live_server = live.get("servers", {}).get(server)
        if live_server is None:
            found.append({"path": f"servers.{server}", "desired": groups, "live": None})
            continue
        for group, values in groups.items():
            for key, wanted in values.items():
                actual = live_server.get(group, {}).get(key)
                if actual != wanted:
                    found.append({"path": f"servers.{server}.{group}.{key}", "desired": wanted, "live": actual})
    wanted_logging = desired.get("logging", {})
    live_logging = live.get("logging", {})
    if "filters" in wanted_logging and normalize_log_filters(wanted_logging["filters"]) != live_logging.get("filters"):
        found.append(
            {"path": "logging.filters", "desired": wanted_logging["filters"], "live": live_logging.get("filters")}
        )
    outputs = wanted_logging.get("outputs", "")
    if outputs.strip() and normalize_log_outputs(outputs) != live_logging.get("outputs"):
        found.append({"path": "logging.outputs", "desired": outputs, "live": live_logging.get("outputs")})
    return found


class _Step:
    """One change to the daemon and how to take it back."""

    def __init__(self, path, before, after, apply, undo):
        self.path, self.before, self.after, self.apply, self.undo = path, before, after, apply, undo


def _plan(conn, desired, live):
    steps = []
    for server, groups in desired.get("servers", {}).items():
        live_server = live["servers"][server]
        for group, setter in (("threadpool", conn.set_thread_pool), ("client_limits", conn.set_client_limits)):
            wanted = groups.get(group)
            if not wanted:
                continue
            # Always undo with every settable value at once: libvirt checks min
            # against the max given in the same call.
            before = {key: live_server[group][key] for key in SERVER_GROUPS[group]}
            if all(before[key] == value for key, value in wanted.items()):
                continue
            steps.append(
                _Step(
                    f"servers.{server}.{group}",
                    before,
                    {**before, **wanted},
                    lambda setter=setter, server=server, wanted=wanted: setter(server, **wanted),
                    lambda setter=setter, server=server, before=before: setter(server, **before),
                )
            )
    wanted_logging = desired.get("logging", {})
    live_filters, live_outputs = live["logging"]["filters"], live["logging"]["outputs"]
    if "filters" in wanted_logging and normalize_log_filters(wanted_logging["filters"]) != live_filters:
        steps.append(
            _Step(
                "logging.filters",
                live_filters,
                normalize_log_filters(wanted_logging["filters"]),
                lambda: conn.set_logging_filters(wanted_logging["filters"]),
                lambda: conn.set_logging_filters(settable_log_filters(live_filters)),
            )
        )
    if "outputs" in wanted_logging and (
        not wanted_logging["outputs"].strip() or normalize_log_outputs(wanted_logging["outputs"]) != live_outputs
    ):
        steps.append(
            _Step(
                "logging.outputs",
                live_outputs,
                wanted_logging["outputs"],
                lambda: conn.set_logging_outputs(wanted_logging["outputs"]),
                lambda: conn.set_logging_outputs(live_outputs),
            )
        )
    if "daemon_timeout" in desired:
        # Last on purpose: its old value cannot be read, so nothing after it may fail.
        seconds = desired["daemon_timeout"]
        steps.append(_Step("daemon_timeout", None, seconds, lambda: conn.set_daemon_timeout(seconds), None))
    return steps


def apply_desired(conn, desired):
    """Push `desired` to the daemon, all or nothing; return {"changed": [...], "live": ...}.

    On a rejected value every change already made is taken back and the
    error (VirtError in libvirt's words, or ValueError for a bad desired
    state) is raised again.
    """
    desired = validate_desired(desired)
    live = read_live(conn, servers=desired.get("servers", {}).keys())
    done = []
    try:
        for step in _plan(conn, desired, live):
            step.apply()
            done.append(step)
    except (VirtError, ValueError) as exc:
        _undo(done, exc)
        raise
    return {
        "changed": [{"path": step.path, "before": step.before, "after": step.after} for step in done],
        "live": read_live(conn),
    }


def _undo(done, exc):
    for step in reversed(done):
        if step.undo is None:
            continue
        try:
            step.undo()
        except VirtError as undo_exc:
            log.error("could not take back %s after a failed apply: %s", step.path, undo_exc)
            exc.add_note(f"and taking back {step.path} failed too ({undo_exc}); check the daemon's settings")
