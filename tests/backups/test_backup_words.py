"""A backup refusal is said in the reader's language and kept in the console's: its words are lazy."""

import pytest
from django.utils import translation
from django.utils.functional import Promise

from domains.backups.checks import BackupError
from domains.backups.restore import _check_new_name
from domains.words import kept


def test_a_restore_without_a_new_name_is_refused_lazily_and_kept_in_english():
    with pytest.raises(BackupError) as refused:
        _check_new_name(None, "")
    assert isinstance(refused.value.message, Promise)
    assert isinstance(refused.value.fields["name"][0], Promise)
    with translation.override("de"):
        assert kept(refused.value.message) == ("A restore into a new domain needs the new domain's name: printable, "
                                               "no '/', at most 100 characters.")
