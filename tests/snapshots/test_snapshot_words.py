"""A snapshot refusal is said in the reader's language and kept in the console's: its words are lazy."""

import pytest
from django.utils import translation
from django.utils.functional import Promise

from domains.snapshots.checks import SnapshotError, check_name
from domains.words import kept


def test_a_refused_snapshot_name_is_said_lazily_and_kept_in_english():
    with pytest.raises(SnapshotError) as refused:
        check_name("a/b", set())
    assert isinstance(refused.value.message, Promise)
    assert all(isinstance(word, Promise) for word in refused.value.fields["name"])
    with translation.override("de"):
        assert kept(refused.value.message).startswith("'a/b' is not a snapshot name: use letters, digits")
