"""The networks' refusals are said in the reader's language: built lazily, English without a catalogue."""

import pytest
from django.utils.functional import Promise

from domains.networks.definition import NetworkError, check_network_name
from domains.networks.interface_sources import missing_words


def test_a_refusal_and_its_field_words_are_lazy_and_read_in_english():
    with pytest.raises(NetworkError) as refused:
        check_network_name("bad/name")
    assert isinstance(refused.value.message, Promise)
    assert str(refused.value) == ("'bad/name' is not a usable network name: use 1 to 100 letters, digits, '.', '_', "
                                  "'+' or '-', starting with a letter or digit.")
    assert isinstance(refused.value.fields["name"][0], Promise)
    assert str(refused.value.fields["name"][0]) == "Invalid name."


def test_what_a_host_lacks_is_one_lazy_phrase():
    words = missing_words("h", {"networks": ["a"], "bridges": ["br1", "br2"]})
    assert isinstance(words, Promise)
    assert str(words) == "Host 'h' has no network 'a' and no bridge 'br1', 'br2'"
