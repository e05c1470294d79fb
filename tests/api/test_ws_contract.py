"""The websocket catalogue contract: removed message types or fields and changed meanings fail; additions pass."""

import copy
import json

import pytest

from domains.api import contract, ws_contract
from domains.api.ws_contract import catalogue_breaks

COMMITTED = {
    "subprotocol": "virtconsole.v1",
    "routes": {"/ws/v1/events": "Pushed events."},
    "close_codes": {"4003": "Refused."},
    "messages": [
        {"type": "hello", "direction": "server to client", "sockets": ["events", "serial"],
         "fields": {"protocol": "virtconsole.v1", "user": "user name"}, "meaning": "First message."},
        {"type": "subscribe", "direction": "client to server", "sockets": ["events"],
         "fields": {"domains": {"type": "array", "required": False, "meaning": "domain UUIDs"},
                    "kind": {"type": "string", "enum": ["all", "lifecycle"], "meaning": "which events"}},
         "meaning": "Receive these events."},
    ],
}


@pytest.fixture
def live():
    return copy.deepcopy(COMMITTED)


def message(catalogue, message_type):
    return next(each for each in catalogue["messages"] if each["type"] == message_type)


def test_it_passes_an_unchanged_catalogue(live):
    assert catalogue_breaks(COMMITTED, live) == []


def test_it_fails_a_removed_message_type(live):
    live["messages"].remove(message(live, "subscribe"))

    assert catalogue_breaks(COMMITTED, live) == ["message 'subscribe' was removed"]


def test_it_fails_a_removed_field(live):
    del message(live, "hello")["fields"]["user"]

    assert catalogue_breaks(COMMITTED, live) == ["message 'hello' field 'user' was removed"]


def test_it_fails_a_changed_meaning_of_a_message_or_field(live):
    message(live, "hello")["meaning"] = "Last message."
    message(live, "hello")["fields"]["user"] = "user id"

    assert catalogue_breaks(COMMITTED, live) == [
        "message 'hello' changed meaning: was 'First message.', now 'Last message.'",
        "message 'hello' field 'user' changed meaning: was 'user name', now 'user id'",
    ]


def test_it_fails_a_changed_type_or_a_lost_value(live):
    message(live, "subscribe")["fields"]["kind"]["type"] = "integer"
    message(live, "subscribe")["fields"]["kind"]["enum"] = ["all"]

    assert catalogue_breaks(COMMITTED, live) == [
        "message 'subscribe' field 'kind' changed type: was 'string', now 'integer'",
        "message 'subscribe' field 'kind' lost value(s) \"lifecycle\"",
    ]


def test_it_fails_a_client_field_that_becomes_required(live):
    message(live, "subscribe")["fields"]["domains"]["required"] = True

    assert catalogue_breaks(COMMITTED, live) == ["message 'subscribe' field 'domains' became required"]


def test_it_fails_a_removed_close_code_route_or_socket(live):
    live["close_codes"] = {}
    live["routes"] = {}
    message(live, "hello")["sockets"] = ["events"]

    assert catalogue_breaks(COMMITTED, live) == [
        "route /ws/v1/events was removed",
        "close code 4003 was removed",
        "message 'hello' is no longer used on the serial socket",
    ]


def test_it_passes_additions(live):
    live["messages"].append({"type": "bye", "direction": "server to client", "fields": {}, "meaning": "Last."})
    message(live, "hello")["fields"]["server_version"] = "the server's version"
    message(live, "subscribe")["fields"]["kind"]["enum"].append("stats")
    message(live, "hello")["sockets"].append("vnc")
    live["close_codes"]["4010"] = "Could not open."
    live["routes"]["/ws/v1/other"] = "Another route."

    assert catalogue_breaks(COMMITTED, live) == []


def test_the_check_fails_against_a_committed_snapshot(tmp_path, live):
    (tmp_path / "ws.json").write_text(json.dumps(COMMITTED))
    del message(live, "hello")["fields"]["protocol"]
    report = contract.ContractReport()

    ws_contract.check_into(report, tmp_path / "ws.json", live)

    assert report.breaks == ["message 'hello' field 'protocol' was removed"]


def test_the_live_catalogue_keeps_the_committed_snapshot():
    live = ws_contract.live_catalogue()

    assert catalogue_breaks(json.loads(contract.WS_CONTRACT.read_text()), live) == []
