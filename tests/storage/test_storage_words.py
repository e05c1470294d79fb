"""Storage's refusals and field help are said in the reader's language: built lazily, English without a catalogue."""

import pytest
from django.utils.functional import Promise

from domains.storage.pools.capabilities import FIELD_HELP
from domains.storage.pools.policy import PoolError, check_pool_name
from domains.storage.volumes.actions import _naming


def test_a_refusal_and_its_field_words_are_lazy_and_read_in_english():
    with pytest.raises(PoolError) as refused:
        check_pool_name("bad/name")
    assert isinstance(refused.value.message, Promise)
    assert str(refused.value) == ("'bad/name' is not a usable pool name: use 1 to 100 letters, digits, '.', '_', '+' "
                                  "or '-', starting with a letter or digit, without '/' or '..'.")
    assert isinstance(refused.value.fields["name"][0], Promise)
    assert refused.value.as_api_error()[2] == str(refused.value)


def test_what_a_refusal_may_not_name_is_counted_in_lazy_words():
    words = _naming(["images/a.qcow2"], 2, "volume")
    assert isinstance(words, Promise)
    assert str(words) == "'images/a.qcow2' and 2 volume(s) you may not see"
    assert str(_naming([], 1, "domain")) == "1 domain(s) you may not see"
    assert _naming(["a"], 0, "domain") == "'a'"


def test_the_source_fields_help_is_lazy():
    assert all(isinstance(words, Promise) for words in FIELD_HELP.values())
    assert str(FIELD_HELP["adapter"]) == "SCSI host adapter name, e.g. host0."
