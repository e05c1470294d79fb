"""The websocket protocol's catalogue and its documentation say the same things."""

import re
from pathlib import Path

from domains.api import ws_protocol

DOC = (Path(__file__).resolve().parents[2] / "docs" / "websocket-protocol.md").read_text()


def test_every_message_type_is_documented_with_its_fields():
    for message in ws_protocol.MESSAGES:
        heading = f"### `{message.type}`"
        assert heading in DOC, f"{message.type} is missing from docs/websocket-protocol.md"
        section = DOC.split(heading, 1)[1].split("\n### ", 1)[0]
        for field in message.fields:
            assert f"`{field}`" in section, f"field {field} of {message.type} is not documented"


def test_the_doc_names_no_message_type_the_module_lacks():
    documented = set(re.findall(r"^### `([^`]+)`", DOC, flags=re.M))
    assert documented == set(ws_protocol.MESSAGE_TYPES)


def test_every_route_and_close_code_is_documented():
    for route in ws_protocol.ROUTES:
        assert f"`{route}`" in DOC
    for code in ws_protocol.CLOSE_CODES:
        assert f"| {code} |" in DOC


def test_message_types_are_unique_and_directions_known():
    assert len(ws_protocol.MESSAGE_TYPES) == len(ws_protocol.MESSAGES)
    assert {m.direction for m in ws_protocol.MESSAGES} <= {ws_protocol.SERVER, ws_protocol.CLIENT}


def test_every_error_code_is_documented():
    for code in ws_protocol.ERROR_CODES:
        assert f"| `{code}` |" in DOC, f"error code {code} is missing from docs/websocket-protocol.md"
