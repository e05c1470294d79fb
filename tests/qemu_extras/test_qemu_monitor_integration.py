"""Monitor and agent passthrough against the real demo guest: API, policy, schema checks, audit, taints, events."""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async

from domains.access.models import AuditEntry
from domains.libvirt import events
from domains.lifecycle.actions import do_domain_action
from qemu_extras.monitor.actions import (
    PassthroughError,
    do_monitor_command,
    running_handles,
)
from qemu_extras.taints import cache as taint_cache
from tests.conftest import wait_for
from tests.qemu_extras.conftest import api_client, demo_dom, monitor_socket, post_json

pytestmark = [pytest.mark.embedded, pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


def monitor(client, domain, command, hmp=False):
    return post_json(client, f"/api/qemu/v1/domains/{domain.uuid}/monitor", {"command": command, "hmp": hmp})


def test_qmp_query_status_answers_qemus_return(owner, demo):
    response = monitor(api_client(owner), demo, '{"execute": "query-status"}')
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["return"]["status"] == "running" and body["return"]["running"] is True
    assert body["level"] == "monitor_read"
    assert body["generic_equivalent"]["api"] == "virDomainGetState"


def test_hmp_info_registers_answers_qemus_text(owner, demo):
    response = monitor(api_client(owner), demo, "info registers", hmp=True)
    assert response.status_code == 200, response.json()
    registers = response.json()["return"]
    assert "CPU#0" in registers and ("RIP=" in registers or "EIP=" in registers)


def test_it_denies_a_dangerous_command_to_a_user_without_monitor_admin(teammate, operator_grant, demo):
    client = api_client(teammate)
    allowed = monitor(client, demo, '{"execute": "query-name"}')
    assert allowed.status_code == 200, allowed.json()
    for command, hmp, needed in (('{"execute": "device_del", "arguments": {"id": "n1"}}', False, "monitor_admin"),
                                 ("gdbserver tcp::1234", True, "monitor_host"),
                                 ('{"execute": "human-monitor-command", "arguments": {"command-line": "info status"}}',
                                  False, "monitor_admin")):
        response = monitor(client, demo, command, hmp)
        assert response.status_code == 403, (command, response.json())
        body = response.json()
        assert body["code"] == "permission_denied" and body["fields"]["permission"] == needed
        assert needed in body["message"]
    denied = AuditEntry.objects.filter(action="qemu.monitor", outcome__startswith="denied")
    assert {entry.parameters["command"] for entry in denied} >= {"gdbserver tcp::1234"}


def test_dump_guest_memory_is_refused_on_the_embedded_host_and_the_console_lives_on(owner, demo):
    client = api_client(owner)
    response = monitor(client, demo, '{"execute": "dump-guest-memory", "arguments": {"paging": false, '
                                     '"protocol": "file:/var/tmp/vct-never-written"}}')
    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "crashes_libvirt"
    assert "virDomainCoreDumpWithFormat" in response.json()["message"]
    assert monitor(client, demo, '{"execute": "query-status"}').status_code == 200  # this process is alive
    refused = AuditEntry.objects.filter(action="qemu.monitor", parameters__classified_as="dump-guest-memory")
    assert [entry.outcome[:8] for entry in refused] == ["refused:"]


def audit_pair(command):
    """True once the last command classified as command has its intent and its outcome "ok" pointing back at it."""
    entries = list(AuditEntry.objects.filter(action="qemu.monitor", parameters__classified_as=command)
                   .order_by("-id")[:2])
    if len(entries) < 2:
        return False
    outcome, intent = entries
    return (intent.outcome, outcome.outcome, outcome.parameters.get("intent")) == ("started", "ok", intent.pk)


def test_each_command_is_audited_as_intent_before_the_call_then_outcome(owner, demo):
    monitor(api_client(owner), demo, '{"execute": "query-name"}')
    intent, outcome = AuditEntry.objects.filter(action="qemu.monitor", parameters__classified_as="query-name") \
        .order_by("id")
    assert (intent.outcome, outcome.outcome, outcome.parameters["intent"]) == ("started", "ok", intent.pk)


def test_a_user_who_may_not_see_the_domain_gets_404(outsider, demo):
    response = monitor(api_client(outsider), demo, '{"execute": "query-status"}')
    assert response.status_code == 404


@pytest.mark.parametrize("command, code, words", [
    ('{"execute": "query-nothing-such"}', "unknown_command", "no QMP command 'query-nothing-such'"),
    ('{"execute": "qom-get", "arguments": {"path": "/machine"}}', "missing_argument", "property"),
    ('{"execute": "query-status", "arguments": {"verbose": true}}', "unknown_argument", "verbose"),
    ('{"execute": ', "invalid_command", "not valid JSON"),
])
def test_it_refuses_what_the_running_qemus_schema_refuses_before_sending(owner, demo, command, code, words):
    response = monitor(api_client(owner), demo, command)
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == code and words in response.json()["message"]


def test_qemus_own_error_is_passed_on_in_its_words(owner, demo):
    response = monitor(api_client(owner), demo, '{"execute": "qom-get", "arguments": {"path": "/nowhere", '
                                                '"property": "type"}}')
    assert response.status_code == 422, response.json()
    body = response.json()
    assert body["code"] == "qemu_error" and "QEMU:" in body["message"]
    assert body["fields"]["error"]["class"]


def test_every_passthrough_is_audited_with_its_full_text_and_outcome(owner, demo):
    monitor(api_client(owner), demo, "info status", hmp=True)
    entry = AuditEntry.objects.filter(action="qemu.monitor").order_by("-id").first()
    assert entry.parameters["command"] == "info status" and entry.parameters["hmp"] is True
    assert entry.parameters["classified_as"] == "query-status" and entry.outcome == "ok"


def test_the_custom_monitor_taint_is_shown_after_a_passthrough(owner, demo):
    client = api_client(owner)
    monitor(client, demo, '{"execute": "query-status"}')
    taints = client.get(f"/api/qemu/v1/domains/{demo.uuid}/taints").json()
    flags = {message["flag"]: message for message in taints["messages"]}
    assert "custom-monitor" in flags and "QMP/HMP passthrough" in flags["custom-monitor"]["explanation"]
    page = client.get(f"/domains/{demo.uuid}/").content.decode()
    assert "custom monitor control commands issued" in page and "QMP/HMP passthrough" in page
    assert "Open the QEMU monitor" in page
    dashboard = client.get("/").content.decode()
    assert 'class="taint-badge badge' in dashboard and "custom-monitor" in dashboard


def test_the_dashboard_reads_taints_once_per_boot_and_again_after_a_passthrough(owner, demo, monkeypatch):
    fetched = []
    real_fetch = taint_cache._fetch

    def counting_fetch(dom):
        fetched.append(dom.name())
        return real_fetch(dom)

    monkeypatch.setattr(taint_cache, "_fetch", counting_fetch)
    taint_cache.forget(demo.host_id, demo.uuid)
    client = api_client(owner)
    client.get("/")
    client.get("/")
    assert fetched == ["demo"]
    monitor(client, demo, '{"execute": "query-status"}')
    assert "custom-monitor" in client.get("/").content.decode()
    assert fetched == ["demo", "demo"]


def test_agent_not_connected_is_a_clear_message(owner, demo):
    response = post_json(api_client(owner), f"/api/qemu/v1/domains/{demo.uuid}/agent",
                         {"command": '{"execute": "guest-ping"}', "timeout": 1})
    assert response.status_code == 409, response.json()
    body = response.json()
    assert body["code"] == "agent_not_connected" and "qemu-guest-agent" in body["message"]


def test_the_agent_policy_applies_before_the_agent_is_asked(teammate, operator_grant, demo):
    response = post_json(api_client(teammate), f"/api/qemu/v1/domains/{demo.uuid}/agent",
                         {"command": '{"execute": "guest-exec", "arguments": {"path": "/bin/sh"}}'})
    assert response.status_code == 403 and response.json()["fields"]["permission"] == "monitor_admin"


def test_the_monitor_page_loads_for_a_user_with_monitor_read(teammate, operator_grant, demo):
    page = api_client(teammate).get(f"/qemu/domains/{demo.uuid}/monitor/")
    assert page.status_code == 200
    assert b"virtconsole.qemu.v1" in page.content and b"js/qemu_extras/monitor.js" in page.content


def test_the_extras_version_names_its_policy(owner, demo):
    body = api_client(owner).get("/api/qemu/v1/version").json()
    assert body["version"] and body["websocket_subprotocol"] == "virtconsole.qemu.v1"
    assert "When an extra may be removed" in body["policy"]


async def receive_type(comm, kind, timeout=10.0):
    """Messages until one of type kind arrives; returns it."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        if left <= 0:
            raise AssertionError(f"no {kind!r} message within {timeout} s")
        message = await comm.receive_json_from(timeout=left)
        if message["type"] == kind:
            return message


async def test_the_monitor_session_runs_commands_and_streams_filtered_qmp_events(owner, demo):
    comm = await monitor_socket(owner, demo)
    connected, subprotocol = await comm.connect(timeout=10)
    assert connected and subprotocol == "virtconsole.qemu.v1"
    hello = await comm.receive_json_from(timeout=10)
    assert hello["type"] == "hello" and hello["running"] is True
    schema = await receive_type(comm, "schema")
    assert "query-status" in schema["commands"] and "STOP" in schema["events"]
    await comm.send_json_to({"type": "command", "id": 1, "command": '{"execute": "query-status"}'})
    result = await receive_type(comm, "result")
    assert result["id"] == 1 and result["return"]["status"] == "running"
    # The answer goes out before the outcome is written, and the outcome follows it.
    await sync_to_async(wait_for)(lambda: audit_pair("query-status"))
    await comm.send_json_to({"type": "filter", "events": ["stop", "resume"]})
    assert (await receive_type(comm, "filter"))["events"] == ["RESUME", "STOP"]
    await sync_to_async(do_domain_action)(owner, demo, "suspend")
    await sync_to_async(do_domain_action)(owner, demo, "resume")
    stop = await receive_type(comm, "event")
    resume = await receive_type(comm, "event")
    assert (stop["event"], resume["event"]) == ("STOP", "RESUME")
    await comm.disconnect()


async def test_the_monitor_session_checks_the_policy_per_command(teammate, operator_grant, demo):
    comm = await monitor_socket(teammate, demo)
    connected, _ = await comm.connect(timeout=10)
    assert connected
    await receive_type(comm, "hello")
    await comm.send_json_to({"type": "command", "id": "q", "command": "info name", "hmp": True})
    assert (await receive_type(comm, "result"))["id"] == "q"
    await comm.send_json_to({"type": "command", "id": "x", "command": "quit", "hmp": True})
    error = await receive_type(comm, "error")
    assert error["id"] == "x" and error["code"] == "permission_denied" and error["permission"] == "monitor_admin"
    await comm.send_json_to({"type": "command", "id": "a", "command": '{"execute": "guest-ping"}', "agent": True,
                             "timeout": 1})
    error = await receive_type(comm, "error")
    assert error["id"] == "a" and error["code"] == "agent_not_connected" and "qemu-guest-agent" in error["message"]
    await comm.disconnect()


async def test_the_monitor_session_is_refused_to_a_user_who_may_not_see_the_domain(outsider, demo):
    comm = await monitor_socket(outsider, demo)
    connected, _ = await comm.connect(timeout=10)
    assert connected
    error = json.loads((await comm.receive_output(timeout=5))["text"])
    assert error["code"] == "not_found"
    assert (await comm.receive_output(timeout=5)) == {"type": "websocket.close", "code": 4004}


async def test_revoking_the_grant_ends_the_monitor_session_within_a_second(owner, teammate, operator_grant, demo):
    import time

    from domains.access.grants import do_revoke

    comm = await monitor_socket(teammate, demo)
    connected, _ = await comm.connect(timeout=10)
    assert connected
    await receive_type(comm, "hello")
    started = time.monotonic()

    await sync_to_async(do_revoke)(owner, operator_grant)

    error = await receive_type(comm, "error", timeout=1.0)
    assert error["code"] == "permission_lost"
    assert (await comm.receive_output(timeout=1.0))["type"] == "websocket.close"
    assert time.monotonic() - started < 1.0


def refused_as_not_running(domain):
    try:
        running_handles.running(domain)
    except PassthroughError as exc:
        return exc.code == "not_running"
    return False


def test_a_running_domains_handle_is_kept_until_the_domain_stops(owner, demo):
    """Monitor commands look their domain up once, not each time; the stop's event, or the stop's own libvirt
    error for a command that comes before the event, makes the next one look again. Last in the module: it
    reboots the guest."""
    query = '{"execute": "query-status"}'
    first = running_handles.running(demo)
    assert running_handles.running(demo) is first
    try:
        # Deaf to events for a moment: a command that comes before the stop's event still holds the handle.
        events.unsubscribe(running_handles._on_event)
        do_domain_action(owner, demo, "destroy")
        assert running_handles.running(demo) is first
        with pytest.raises(PassthroughError) as refused:
            do_monitor_command(owner, demo, query)
        assert refused.value.code == "not_running" and "Start it first" in str(refused.value.message)
        intent, outcome = AuditEntry.objects.filter(action="qemu.monitor").order_by("-id")[:2][::-1]
        assert intent.outcome == "started" and outcome.outcome.startswith("failed:")
        # The next lookup listens again; the stop's event drops the handle it keeps.
        do_domain_action(owner, demo, "start")
        second = running_handles.running(demo)
        assert second.ID() not in (-1, first.ID())
        do_domain_action(owner, demo, "destroy")
        wait_for(lambda: refused_as_not_running(demo))
    finally:
        events.subscribe(running_handles._on_event)
        if not demo_dom(demo.host).isActive():
            do_domain_action(owner, demo, "start")
    assert do_monitor_command(owner, demo, query).value["status"] == "running"
