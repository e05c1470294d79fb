"""Interface refusals are said in the reader's language: built lazily, read in English by default."""

import pytest
from django.utils.functional import Promise

from domains.interfaces.actions import InterfaceError, _check_source


def test_an_unknown_interface_type_is_refused_lazily_with_a_lazy_field_error():
    with pytest.raises(InterfaceError) as refused:
        _check_source(None, "vhostuser", "x")

    assert isinstance(refused.value.message, Promise)
    assert str(refused.value) == "Unknown interface type 'vhostuser'; use network, bridge or direct."
    assert [str(word) for word in refused.value.fields["type"]] == ["Unknown."]
