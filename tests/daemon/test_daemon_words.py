"""The daemon's refusals are said in the reader's language: built lazily, English without a catalogue."""

import pytest
from django.utils.functional import Promise

from domains.daemon.models import DaemonRevisionReason
from domains.daemon.settings_service import validate_desired


def test_a_bad_setting_is_refused_in_lazy_words():
    with pytest.raises(ValueError) as refused:
        validate_desired({"logging": {"filters": "9:qemu"}})
    assert isinstance(refused.value.args[0], Promise)
    assert str(refused.value) == "logging.filters: log filter '9:qemu': '9' is not a level from 1 (debug) to 4 (error)"


def test_a_revision_reason_is_labelled_lazily():
    assert isinstance(DaemonRevisionReason.REAPPLIED.label, Promise)
    assert str(DaemonRevisionReason.REAPPLIED.label) == "re-applied after the daemon restarted"
