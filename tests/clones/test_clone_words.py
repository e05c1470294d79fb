"""A clone refusal is said in the reader's language and kept in the console's: its words are lazy."""

import pytest
from django.utils import translation
from django.utils.functional import Promise

from domains.clones.plan import CloneError, choices
from domains.words import kept


def test_an_unknown_way_to_clone_a_disk_is_refused_lazily_and_kept_in_english():
    with pytest.raises(CloneError) as refused:
        choices([{"target": "vda", "mode": "teleport"}])
    assert isinstance(refused.value.message, Promise)
    assert isinstance(refused.value.fields["disks"][0], Promise)
    with translation.override("de"):
        assert kept(refused.value.message) == "'teleport' is not a way to clone a disk: use copy, linked, share."
        assert kept(refused.value.fields["disks"][0]) == "vda: one of copy, linked, share."
