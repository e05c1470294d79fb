"""Host refusals are said in the reader's language: built lazily, read in English by default, JSON-safe."""

import json

import pytest
from django.utils.functional import Promise

from domains.hosts.actions import HostError, check_uri
from domains.libvirt.uris import UriRefused, check_host_file_access


def test_a_uri_refusal_is_lazy_and_its_field_error_too():
    with pytest.raises(HostError) as refused:
        check_uri("http://example.org/")

    assert isinstance(refused.value.message, Promise)
    status, code, message, fields = refused.value.as_api_error()
    assert message.startswith("'http://example.org/' is not a libvirt URI this console can use.")
    assert json.loads(json.dumps(fields, default=str))["uri"] == [message]


def test_a_test_driver_file_refusal_is_lazy():
    with pytest.raises(UriRefused) as refused:
        check_host_file_access("test+unix:///etc/passwd")

    assert isinstance(refused.value.message, Promise)
    assert str(refused.value) == "A test driver URI may only be test:///default here."
