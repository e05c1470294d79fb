"""Monitor commands that reach the host: host-level only, the crashing one refused, intent audited first, no secrets."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from domains.access.lookups import libvirt_domain
from domains.access.models import AuditEntry
from domains.lifecycle import inventory
from domains.lifecycle.models import Domain

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def vm(make_test_host):
    """A running domain on a private test:/// host."""
    host = make_test_host("qemuhost", domains=1, running=(0,))
    inventory.sync_host(host)
    return Domain.objects.get(host=host, name="vm0000")


@pytest.fixture
def domain_admin(vm, teammate, grant):
    """The teammate, holding the Administrator role (monitor_admin included) on the one domain."""
    grant("Administrator", domain=vm)
    return teammate


def monitor(user, vm, command, hmp=False):
    api = APIClient()
    api.force_authenticate(user)
    return api.post(f"/api/qemu/v1/domains/{vm.uuid}/monitor", {"command": command, "hmp": hmp}, format="json")


def qmp(name, **arguments):
    return json.dumps({"execute": name, "arguments": arguments})


def host_commands(target):
    return [
        (qmp("dump-guest-memory", paging=False, protocol=f"file:{target}"), False),
        (qmp("migrate", uri=f"exec:cat > {target}"), False),
        (f"migrate exec:cat>{target}", True),
        (qmp("screendump", filename=str(target)), False),
        (qmp("pmemsave", val=0, size=4096, filename=str(target)), False),
        (qmp("human-monitor-command", **{"command-line": f"memsave 0 4096 {target}"}), False),
        (qmp("chardev-add", id="c1", backend={"type": "file", "data": {"out": str(target)}}), False),
        (qmp("netdev_add", type="tap", id="t1", script=str(target)), False),
        (qmp("getfd", fdname="fd1"), False),
        (qmp("object-add", **{"qom-type": "memory-backend-file", "id": "m1", "size": 1048576,
                              "mem-path": str(target)}), False),
        (qmp("device_add", driver="vfio-pci", host="0000:00:01.0"), False),
        ("trace-event * on", True),
    ]


def test_a_domain_scoped_monitor_admin_is_refused_every_host_level_command(domain_admin, vm, tmp_path):
    target = tmp_path / "written-by-qemu"
    state = libvirt_domain(vm).state()
    commands = host_commands(target)

    for command, hmp in commands:
        response = monitor(domain_admin, vm, command, hmp)
        assert response.status_code == 403, (command, response.json())
        assert response.json()["fields"]["permission"] == "monitor_host"

    refused = list(AuditEntry.objects.filter(action="qemu.monitor").values_list("outcome", flat=True))
    assert refused == ["denied: needs monitor_host"] * len(commands)  # each refusal once, nothing else
    assert not AuditEntry.objects.filter(outcome="started").exists()
    assert not target.exists()
    assert libvirt_domain(vm).state() == state


def test_a_host_grant_gives_the_host_level_commands(vm, teammate, grant):
    grant("Administrator", host=vm.host)

    response = monitor(teammate, vm, "trace-event * on", hmp=True)

    assert response.status_code != 403  # past the permission check; the test driver has no monitor


@pytest.mark.parametrize("command,hmp", [
    (qmp("dump-guest-memory", paging=False, protocol="file:/tmp/core"), False),
    ("dump-guest-memory /tmp/core", True),
    (qmp("human-monitor-command", **{"command-line": "dump-guest-memory /tmp/core"}), False),
])
def test_dump_guest_memory_is_refused_with_libvirts_own_call_before_anything_is_sent(owner, vm, command, hmp):
    response = monitor(owner, vm, command, hmp)

    assert response.status_code == 409, response.json()
    body = response.json()
    assert body["code"] == "crashes_libvirt" and "virDomainCoreDumpWithFormat" in body["message"]
    entries = list(AuditEntry.objects.filter(action="qemu.monitor").values_list("outcome", flat=True))
    assert len(entries) == 1 and entries[0].startswith("refused: 'dump-guest-memory' is refused")
    assert libvirt_domain(vm).isActive()


def test_the_intent_is_audited_before_the_call_and_the_outcome_after(owner, vm):
    monitor(owner, vm, "info status", hmp=True)  # the test driver has no monitor: libvirt refuses the call

    intent, outcome = AuditEntry.objects.filter(action="qemu.monitor").order_by("id")
    assert intent.outcome == "started" and intent.parameters["command"] == "info status"
    assert outcome.outcome.startswith("failed: ") and outcome.parameters["intent"] == intent.pk


@pytest.mark.parametrize("command,hmp", [
    (qmp("set_password", protocol="vnc", password="hunter2"), False),
    (qmp("change-vnc-password", password="hunter2"), False),
    ("set_password vnc hunter2", True),
    ("change vnc password hunter2", True),
    (qmp("human-monitor-command", **{"command-line": "set_password vnc hunter2"}), False),
    (qmp("object-add", **{"qom-type": "secret", "id": "s1", "data": "hunter2"}), False),
    ("object_add secret,id=s1,data=hunter2", True),
    ('{"execute": "set_password", "arguments": {"password": "hunter2"', False),
])
def test_passwords_in_monitor_commands_never_reach_the_audit_log(owner, vm, command, hmp):
    monitor(owner, vm, command, hmp)

    stored = list(AuditEntry.objects.values_list("parameters", "outcome"))
    assert stored, "the command was audited"
    assert "hunter2" not in json.dumps(stored)


def _test_database_url():
    """This run's test database as a DATABASE_URL, for a child process."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{database['NAME']}"
    return (f"postgres://{database['USER']}:{database['PASSWORD']}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}")


@pytest.mark.django_db(transaction=True)
def test_a_process_killed_inside_the_monitor_call_leaves_the_intent_in_the_audit_log(owner, vm, test_uri_dir,
                                                                                    tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "console.settings",
           "DATABASE_URL": _test_database_url(),
           "VIRTCONSOLE_TEST_URI_DIR": test_uri_dir, "VIRTCONSOLE_AUDIT_ANCHOR": str(tmp_path / "anchor.json"),
           "PYTHONPATH": str(REPO)}

    child = subprocess.run([sys.executable, str(Path(__file__).parent / "killed_inside_monitor_call.py"),
                            str(owner.pk), str(vm.pk), "info status"],
                           env=env, cwd=REPO, capture_output=True, text=True, timeout=120)

    assert child.returncode == -signal.SIGKILL, child.stdout + child.stderr
    (entry,) = AuditEntry.objects.filter(action="qemu.monitor")
    assert (entry.actor_name, entry.outcome, entry.parameters["command"]) == ("alice", "started", "info status")
