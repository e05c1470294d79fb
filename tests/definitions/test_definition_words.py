"""Definition refusals are said in the reader's language: built lazily, read in English by default, JSON-safe."""

import json

import pytest
from django.utils.functional import Promise

from domains.definitions.actions import checked_document
from domains.definitions.xml import DefinitionError, add_interface, parse

DOMAIN = "<domain type='kvm'><name>words</name><memory>1024</memory><devices/></domain>"


def test_an_edit_refusal_is_lazy_and_reads_in_english_without_a_language():
    with pytest.raises(DefinitionError) as refused:
        add_interface(parse(DOMAIN), "network", None, mac="01:00:00:00:00:01")

    assert isinstance(refused.value.message, Promise)
    assert str(refused.value) == "01:00:00:00:00:01 is a multicast address; a NIC needs a unicast MAC (even first byte)."


def test_schema_problems_are_lazy_but_answered_as_plain_json():
    with pytest.raises(DefinitionError) as refused:
        checked_document(DOMAIN.replace("<devices/>", "<devices/><wardrobe/>"))

    status, code, message, fields = refused.value.as_api_error()
    assert isinstance(refused.value.message, Promise)
    assert message == ("The definition does not match libvirt's domain schema (1 problem); fix the marked lines and "
                       "try again.")
    assert json.loads(json.dumps(fields))["xml"][0]["message"].startswith("<wardrobe> does not match")
