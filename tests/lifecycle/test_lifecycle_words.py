"""Lifecycle answers and refusals are said in the reader's language and kept in the console's: their words are lazy."""

import pytest
from django.utils import translation
from django.utils.functional import Promise
from django.utils.text import format_lazy

from domains.lifecycle.actions import ACTIONS, ActionError, do_domain_action
from domains.words import kept


def test_every_action_says_what_it_did_and_what_failed_in_whole_sentences():
    for action in ACTIONS.values():
        assert isinstance(action.done, Promise) and isinstance(action.failed, Promise)
        assert "{name}" in str(action.done) and "{error}" in str(action.failed)
    with translation.override("de"):
        assert kept(format_lazy(ACTIONS["start"].done, name="vm1")) == "'vm1' started."
        assert kept(format_lazy(ACTIONS["destroy"].failed, name="vm1", error="gone")) == "Could not force off 'vm1': gone"


def test_an_unknown_action_is_refused_lazily():
    with pytest.raises(ActionError) as refused:
        do_domain_action(None, None, "teleport")
    assert isinstance(refused.value.message, Promise)
    assert kept(refused.value.message).startswith("Unknown action 'teleport'. Use one of: start, shutdown")
