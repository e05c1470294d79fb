"""The migration's refusals are said in the reader's language: built lazily, English without a catalogue."""

import pytest
from django.utils.functional import Promise

from domains.migration.actions import MigrationOptions, _check_options
from domains.migration.checks import MigrationError


def test_an_option_refusal_and_its_field_words_are_lazy_and_read_in_english():
    with pytest.raises(MigrationError) as refused:
        _check_options(MigrationOptions(copy_storage="some"), running=True, destination=None)
    assert isinstance(refused.value.message, Promise)
    assert str(refused.value) == "copy_storage 'some' is not one the console knows: use none, all, incremental."
    assert str(refused.value.fields["copy_storage"][0]) == "One of none, all, incremental."
