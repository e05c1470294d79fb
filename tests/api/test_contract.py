"""The contract checker: every kind of break fails naming what broke; additions pass."""

import copy
import json

import pytest
from django.core.management import CommandError, call_command

from domains.api import contract
from domains.api.openapi import v1_schema

DOMAINS = "/api/v1/domains"
DOMAIN = "/api/v1/domains/{uuid}"
ACTIONS = "/api/v1/domains/{uuid}/actions"


@pytest.fixture(scope="module")
def committed():
    """The live schema stands in for the committed one; each test breaks a copy of it."""
    return v1_schema()


@pytest.fixture
def live(committed):
    return copy.deepcopy(committed)


def schemas(document):
    return document["components"]["schemas"]


def breaks(committed, live):
    return contract.openapi_breaks(committed, live)


def test_it_passes_an_unchanged_schema(committed, live):
    assert breaks(committed, live) == []


def test_it_fails_a_removed_response_field_naming_it(committed, live):
    del schemas(live)["Domain"]["properties"]["state"]
    schemas(live)["Domain"]["required"].remove("state")

    found = breaks(committed, live)

    assert f"GET {DOMAINS} response 200: field 'results[].state' was removed" in found
    assert f"GET {DOMAIN} response 200: field 'state' was removed" in found
    assert f"POST {ACTIONS} response 200: field 'domain.state' was removed" in found


def test_it_fails_a_removed_path(committed, live):
    del live["paths"][DOMAIN]

    assert breaks(committed, live) == [f"path {DOMAIN} was removed"]


def test_it_fails_a_removed_method(committed, live):
    del live["paths"]["/api/v1/hosts"]["post"]

    assert breaks(committed, live) == ["POST /api/v1/hosts was removed"]


def test_it_fails_a_removed_enum_value(committed, live):
    schemas(live)["ActionEnum"]["enum"].remove("reboot")

    assert breaks(committed, live) == [f"POST {ACTIONS} request body: field 'action' lost enum value(s) \"reboot\""]


def test_it_fails_a_type_change(committed, live):
    schemas(live)["Domain"]["properties"]["host"] = {"type": "string"}

    assert f"GET {DOMAIN} response 200: field 'host' changed type from integer to string" in breaks(committed, live)


def test_it_fails_a_format_change(committed, live):
    schemas(live)["Domain"]["properties"]["uuid"] = {"type": "string"}

    found = breaks(committed, live)

    assert f"GET {DOMAIN} response 200: field 'uuid' changed type from string(uuid) to string" in found


def test_it_fails_a_request_field_that_becomes_required(committed, live):
    schemas(live)["DomainActionRequest"]["required"].append("confirm_name")

    assert breaks(committed, live) == [f"POST {ACTIONS} request body: field 'confirm_name' became required"]


def test_it_fails_a_new_required_request_field(committed, live):
    request = schemas(live)["DomainActionRequest"]
    request["properties"]["reason"] = {"type": "string"}
    request["required"].append("reason")

    assert breaks(committed, live) == [f"POST {ACTIONS} request body: new field 'reason' is required"]


def test_it_fails_a_removed_or_newly_required_parameter(committed, live):
    operation = live["paths"][DOMAINS]["get"]
    operation["parameters"] = [p for p in operation["parameters"] if p["name"] != "state"]
    next(p for p in operation["parameters"] if p["name"] == "name")["required"] = True

    assert breaks(committed, live) == [f"GET {DOMAINS}: query parameter 'name' became required",
                                       f"GET {DOMAINS}: query parameter 'state' was removed"]


def test_it_fails_a_removed_response_status(committed, live):
    del live["paths"][DOMAIN]["get"]["responses"]["404"]

    assert breaks(committed, live) == [f"GET {DOMAIN}: response status 404 was removed"]


def test_it_fails_a_response_field_that_may_be_missing_or_null(committed, live):
    schemas(live)["Domain"]["required"].remove("name")
    schemas(live)["Domain"]["properties"]["host_name"]["nullable"] = True

    found = breaks(committed, live)

    assert f"GET {DOMAIN} response 200: field 'name' is no longer always present" in found
    assert f"GET {DOMAIN} response 200: field 'host_name' may now be null" in found


def test_it_passes_additions(committed, live):
    live["paths"]["/api/v1/things"] = {"get": {"responses": {"200": {"description": "things"}}}}
    schemas(live)["Domain"]["properties"]["autostart"] = {"type": "boolean"}
    schemas(live)["Domain"]["required"].append("autostart")
    schemas(live)["DomainActionRequest"]["properties"]["force"] = {"type": "boolean"}
    schemas(live)["DomainActionRequest"]["properties"]["tags"] = {"type": "array", "items": {"type": "string"}}
    schemas(live)["DomainActionRequest"]["properties"]["options"] = {
        "type": "object", "properties": {"depth": {"type": "integer"}}, "required": ["depth"]}
    schemas(live)["ActionEnum"]["enum"].append("hibernate")
    live["paths"][DOMAINS]["get"]["parameters"].append(
        {"in": "query", "name": "autostart", "required": False, "schema": {"type": "boolean"}})
    live["paths"][DOMAIN]["get"]["responses"]["410"] = {"description": "gone"}

    assert breaks(committed, live) == []


def check_files(tmp_path, committed, live):
    """Run the whole check against files in tmp_path; the websocket part compares an empty catalogue."""
    openapi_path, ws_path = tmp_path / "v1-contract.json", tmp_path / "ws-v1-contract.json"
    if committed is not None:
        openapi_path.write_text(contract.normalised(committed))
    ws_path.write_text(json.dumps({"messages": {}}))
    return contract.check(openapi_path=openapi_path, ws_path=ws_path, live_schema=live,
                          live_catalogue={"messages": {}})


def test_the_check_names_each_break_against_a_committed_file(tmp_path, committed, live):
    del schemas(live)["Host"]["properties"]["uri"]

    report = check_files(tmp_path, committed, live)

    assert not report.ok
    assert "GET /api/v1/hosts response 200: field 'results[].uri' was removed" in report.breaks


def test_the_check_notes_additions_that_are_not_recorded_yet(tmp_path, committed, live):
    live["paths"]["/api/v1/things"] = {"get": {"responses": {"200": {"description": "things"}}}}

    report = check_files(tmp_path, committed, live)

    assert report.ok
    assert any("api_contract --write" in note for note in report.notes)


def test_a_missing_contract_file_fails_saying_how_to_make_it(tmp_path, live):
    report = check_files(tmp_path, None, live)

    assert report.breaks == [f"{tmp_path / 'v1-contract.json'} is missing: run `python manage.py api_contract "
                             "--write` and commit it."]


def test_the_command_fails_naming_the_break(tmp_path, monkeypatch, committed):
    broken = copy.deepcopy(committed)
    broken["paths"]["/api/v1/gone"] = {"get": {"responses": {"200": {"description": "was here"}}}}
    monkeypatch.setattr(contract, "OPENAPI_CONTRACT", tmp_path / "v1-contract.json")
    monkeypatch.setattr(contract, "WS_CONTRACT", tmp_path / "ws-v1-contract.json")
    (tmp_path / "v1-contract.json").write_text(json.dumps(broken))
    (tmp_path / "ws-v1-contract.json").write_text(json.dumps(contract.ws_contract.live_catalogue() or {}))

    with pytest.raises(CommandError, match=r"path /api/v1/gone was removed"):
        call_command("api_contract", "--check")


def test_write_then_check_holds(tmp_path, monkeypatch):
    monkeypatch.setattr(contract, "OPENAPI_CONTRACT", tmp_path / "v1-contract.json")
    monkeypatch.setattr(contract, "WS_CONTRACT", tmp_path / "ws-v1-contract.json")

    call_command("api_contract", "--write")

    written = (tmp_path / "v1-contract.json").read_text()
    assert written == contract.normalised(json.loads(written))  # sorted, normalised
    call_command("api_contract", "--check")


def test_the_live_api_keeps_the_committed_contract():
    report = contract.check()

    assert report.ok, "\n".join(report.breaks)


def test_it_reads_nullable_enums_as_drf_spectacular_writes_them(committed, live):
    before = copy.deepcopy(committed)
    schemas(before)["ActionResult"]["properties"]["kind"] = {"$ref": "#/components/schemas/ActionEnum"}
    schemas(live)["NullEnum"] = {"enum": [None]}
    schemas(live)["ActionResult"]["properties"]["kind"] = {
        "oneOf": [{"$ref": "#/components/schemas/ActionEnum"}, {"$ref": "#/components/schemas/NullEnum"}]}

    assert breaks(before, live) == [f"POST {ACTIONS} response 200: field 'kind' may now be null"]
