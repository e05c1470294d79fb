"""Access refusals are said in the reader's language and kept in the console's: their words are lazy."""

import pytest
from django.utils import translation
from django.utils.functional import Promise

from domains.access.grants import GrantError, find_holder
from domains.access.permission_names import PERMISSIONS
from domains.access.permissions import PermissionDenied
from domains.words import kept


def test_a_missing_permission_is_said_lazily_and_kept_in_english():
    refusal = PermissionDenied("start")
    assert isinstance(refusal.args[0], Promise)
    with translation.override("de"):
        assert kept(refusal.args[0]) == "You lack the permission 'start'. Ask an administrator for a grant."
        assert isinstance(str(refusal), str)


def test_a_grant_naming_no_holder_is_refused_lazily():
    with pytest.raises(GrantError) as refused:
        find_holder()
    assert isinstance(refused.value.message, Promise)
    assert refused.value.fields == {"user": [refused.value.message]}


def test_every_permission_is_described_in_words_said_lazily():
    assert all(isinstance(words, Promise) for words in PERMISSIONS.values())
